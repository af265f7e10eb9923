// ByteRange is public vocabulary (<sparseio/byte_range.h>); internal code
// includes it through here like any other core type.
#pragma once

#include "sparseio/byte_range.h"
