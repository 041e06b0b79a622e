#include <cstdio>
int main(int argc, char** argv) {
  (void)argc;
  (void)argv;
  std::puts("not built yet");
  return 1;
}
