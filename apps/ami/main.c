/* placeholder: replaced by the ami command */
#include <stdio.h>
int main(void) {
  puts("ami");
  return 0;
}
