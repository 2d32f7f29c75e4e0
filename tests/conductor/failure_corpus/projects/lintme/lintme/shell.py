import subprocess
import sys, os  # BUG:imports


def run(command):
    return subprocess.call(command, shell=True)  # BUG:shell


def unused():
    value = 1  # BUG:unused-var
    return None


def compare(x):
    if x == None:  # BUG:none-compare
        return   1
    return x
