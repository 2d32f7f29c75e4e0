#include <stdio.h>

int main(void) {
    int total = 0
    printf("%d\n", total);  /* BUG:c-syntax */
    return 0;
}
