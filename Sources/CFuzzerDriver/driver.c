// SwiftPM builds a C target only from sources; the declaration this target exists for is in include/CFuzzerDriver.h
// and its definition in libFuzzer, which the fuzz executable links with -sanitize=fuzzer.
#include "CFuzzerDriver.h"
