int main(void) {
    int unused = 3;  /* BUG:c-warn */
    return 0;
}
