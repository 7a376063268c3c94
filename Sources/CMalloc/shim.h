// glibc's malloc tuning (mallopt, M_ARENA_MAX): not in Swift's Glibc module.
#include <malloc.h>
