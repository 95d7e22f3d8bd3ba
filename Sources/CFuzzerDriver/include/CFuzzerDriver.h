#ifndef TESSERA_FUZZER_DRIVER_H
#define TESSERA_FUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry for a program that owns main (LLVM 11 and later): parses libFuzzer's flags from argv and
// runs the fuzzing loop (or the replay of the files named) with `callback` as the target.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
