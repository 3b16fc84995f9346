// Messages for people go through gettext (domain l2tpbus, po/): `_()` is the
// keyword po/meson.build's xgettext preset knows.
#pragma once

#include <libintl.h>

#define _(text) dgettext("l2tpbus", text)
