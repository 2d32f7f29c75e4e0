#include <string>

int area(int side) {
    std::string name = side;  // BUG:cpp
    return side * side;
}
