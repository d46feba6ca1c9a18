#include <iostream>

#include <rill/rill.h>

int main() {
  std::cout << "rill " << rill::Version() << "\n";
  return 0;
}
