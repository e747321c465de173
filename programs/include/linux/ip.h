/*
 * <linux/ip.h> for flowshield: a freestanding stand-in so that existing XDP and socket-filter sources
 * compile unmodified with `-I programs/include`. Everything flowshield supports from Linux is
 * declared once, in linux_compat.h; see that file for the supported helpers, maps and contexts.
 */
#ifndef FLOWSHIELD_SHIM_LINUX_IP_H
#define FLOWSHIELD_SHIM_LINUX_IP_H
#include "../linux_compat.h"
#endif
