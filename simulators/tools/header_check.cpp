// Compiled as its own object: proves lumis/lumis.hpp includes everything it uses.
#include "lumis/lumis.hpp"
