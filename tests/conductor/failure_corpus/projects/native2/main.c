int helper(int value);

int main(void) {
    return helper(2);  /* BUG:link */
}
