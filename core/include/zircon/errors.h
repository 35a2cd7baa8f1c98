// Zircon status codes, with the values of zircon/errors.h.
// ZX_ERR_NEXT and ZX_ERR_STOP are flow-control values for callbacks, never real errors.

#ifndef ZIRCON_ERRORS_H_
#define ZIRCON_ERRORS_H_

#define ZX_OK (0)
#define ZX_ERR_INTERNAL (-1)
#define ZX_ERR_NOT_SUPPORTED (-2)
#define ZX_ERR_NO_RESOURCES (-3)
#define ZX_ERR_NO_MEMORY (-4)
#define ZX_ERR_INVALID_ARGS (-10)
#define ZX_ERR_NOT_FOUND (-25)
#define ZX_ERR_OUT_OF_RANGE (-14)
#define ZX_ERR_BAD_STATE (-20)
#define ZX_ERR_STOP (-60)
#define ZX_ERR_NEXT (-61)

#endif  // ZIRCON_ERRORS_H_
