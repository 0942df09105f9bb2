#include <gtest/gtest.h>

#include "reference/ssai/splicer.h"
