"""What GTK 3 and GTK 4 spell differently, for tests that run under either.

The GTK version comes from L2TPBUS_TEST_GTK (3 or 4), fixed before the first
import of Gtk: one process holds one GTK. Everything here acts as a user or
a host application would: widgets found by their GtkBuilder id or name, set
through their own API, the main loop run until the screen settles.
"""

import os
import pathlib

import gi

GTK = int(os.environ.get('L2TPBUS_TEST_GTK', '3'))
gi.require_version('Gtk', f'{GTK}.0')
gi.require_version('NM', '1.0')
gi.require_version('GdkPixbuf', '2.0')
gi.require_version('NMA4' if GTK == 4 else 'NMA', '1.0')
from gi.repository import GdkPixbuf, GLib, Gtk, NM  # noqa: E402
if GTK == 4:
    from gi.repository import NMA4 as NMA  # noqa: E402
else:
    from gi.repository import NMA  # noqa: E402

__all__ = ['GTK', 'GLib', 'Gtk', 'NM', 'NMA']


def settle(rounds=3, milliseconds=0):
    """Runs the main loop until nothing is pending, a few times over, and
    for at least `milliseconds` (the frame clock lays out on its own timer)."""
    context = GLib.MainContext.default()
    done = [milliseconds == 0]
    if milliseconds:
        GLib.timeout_add(milliseconds, lambda: done.__setitem__(0, True))
    while True:
        for _ in range(rounds):
            while context.pending():
                context.iteration(False)
        if done[0]:
            return
        context.iteration(True)


def children(widget):
    if GTK == 4:
        child = widget.get_first_child()
        while child is not None:
            yield child
            child = child.get_next_sibling()
    elif isinstance(widget, Gtk.Container):
        yield from widget.get_children()


def walk(widget):
    yield widget
    for child in children(widget):
        yield from walk(child)


def builder_id(widget):
    return widget.get_buildable_id() if GTK == 4 else Gtk.Buildable.get_name(widget)


def find(root, name):
    """The widget under `root` with GtkBuilder id (or widget name) `name`."""
    for widget in walk(root):
        if builder_id(widget) == name or widget.get_name() == name:
            return widget
    raise LookupError(f'no widget {name!r}')


def text(widget):
    return widget.get_text()


def set_text(widget, value):
    widget.set_text(value)
    settle()


def set_active(widget, active):
    widget.set_active(active)
    settle()


def show_in_window(widget):
    window = Gtk.Window()
    window.set_default_size(640, 200)
    if GTK == 4:
        window.set_child(widget)
        window.present()
    else:
        window.add(widget)
        window.show_all()
    settle()
    return window


def toplevels():
    if GTK == 4:
        model = Gtk.Window.get_toplevels()
        return [model.get_item(i) for i in range(model.get_n_items())]
    return Gtk.Window.list_toplevels()


def mnemonics(root):
    """The mnemonic letters of the labels under `root` (buttons' too)."""
    from gi.repository import Gdk
    keys = []
    for widget in walk(root):
        if isinstance(widget, Gtk.Label) and widget.get_visible():
            keyval = widget.get_mnemonic_keyval()
            if keyval != Gdk.KEY_VoidSymbol:
                keys.append((Gdk.keyval_name(Gdk.keyval_to_lower(keyval)), widget.get_text()))
    return keys


def accessible_description(widget):
    """GTK 3's (ATK) description; None under GTK 4.8, which has no getter."""
    return widget.get_accessible().get_description() if GTK == 3 else None


def toplevel_named(name):
    """A shown window (a dialog) by widget name, or None."""
    for window in toplevels():
        if window.get_name() == name and window.get_visible():
            return window
    return None


def click(button):
    button.emit('clicked')
    settle()


def response_sensitive(dialog, response):
    return dialog.get_widget_for_response(response).get_sensitive()


def accessible_names(widget):
    """What a screen reader reads for `widget`: its accessible name and the
    names of what labels it (GTK 3's ATK; GTK 4.8 has no getter, and there a
    mnemonic label is the labelled-by relation by construction)."""
    gi.require_version('Atk', '1.0')
    from gi.repository import Atk
    accessible = widget.get_accessible()
    names = [accessible.get_name()]
    relation = accessible.ref_relation_set().get_relation_by_type(Atk.RelationType.LABELLED_BY)
    if relation is not None:
        names += [target.get_name() for target in relation.get_target()]
    return names


def mnemonic_label_texts(widget):
    return [label.get_text() for label in widget.list_mnemonic_labels()]


def screenshot(widget, path):
    """Renders `widget` (shown) into a PNG, and returns the image's size and
    how many distinct colours it has: an image of one colour rendered nothing."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    settle(milliseconds=200)
    if GTK == 4:
        _render_gtk4(widget, path)
    else:
        import cairo
        allocation = widget.get_allocation()
        surface = cairo.ImageSurface(cairo.FORMAT_ARGB32, allocation.width, allocation.height)
        context = cairo.Context(surface)
        # A dialog's background is its window's: paint it as the theme would.
        context.set_source_rgb(1, 1, 1)
        context.paint()
        widget.draw(context)
        surface.write_to_png(str(path))
    pixbuf = GdkPixbuf.Pixbuf.new_from_file(str(path))
    pixels = pixbuf.get_pixels()
    stride, channels = pixbuf.get_rowstride(), pixbuf.get_n_channels()
    colours = set()
    for y in range(0, pixbuf.get_height(), 3):
        row = pixels[y * stride:y * stride + pixbuf.get_width() * channels]
        colours.update(row[x:x + channels] for x in range(0, len(row), channels * 3))
    return pixbuf.get_width(), pixbuf.get_height(), len(colours)


def _render_gtk4(widget, path):
    """GTK 4's snapshot, rendered by the widget's own renderer. Through ctypes:
    PyGObject 3.42 cannot carry GskRenderNode subclasses across."""
    import ctypes
    gtk = ctypes.CDLL('libgtk-4.so.1')
    for name, result, arguments in [
            ('gtk_widget_paintable_new', ctypes.c_void_p, [ctypes.c_void_p]),
            ('gtk_snapshot_new', ctypes.c_void_p, []),
            ('gdk_paintable_snapshot', None,
             [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_double, ctypes.c_double]),
            ('gtk_snapshot_free_to_node', ctypes.c_void_p, [ctypes.c_void_p]),
            ('gtk_native_get_renderer', ctypes.c_void_p, [ctypes.c_void_p]),
            ('gsk_renderer_render_texture', ctypes.c_void_p,
             [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]),
            ('gdk_texture_save_to_png', ctypes.c_bool, [ctypes.c_void_p, ctypes.c_char_p]),
            ('gsk_render_node_unref', None, [ctypes.c_void_p]),
            ('g_object_unref', None, [ctypes.c_void_p])]:
        function = getattr(gtk, name)
        function.restype, function.argtypes = result, arguments

    def pointer(gobject):
        capsule = ctypes.py_object(gobject.__gpointer__)
        get = ctypes.pythonapi.PyCapsule_GetPointer
        get.restype, get.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
        return get(capsule, None)

    paintable = gtk.gtk_widget_paintable_new(pointer(widget))
    snapshot = gtk.gtk_snapshot_new()
    gtk.gdk_paintable_snapshot(paintable, snapshot, widget.get_width(), widget.get_height())
    node = gtk.gtk_snapshot_free_to_node(snapshot)
    assert node, 'the widget drew nothing'
    texture = gtk.gsk_renderer_render_texture(
        gtk.gtk_native_get_renderer(pointer(widget.get_native())), node, None)
    assert gtk.gdk_texture_save_to_png(texture, str(path).encode())
    gtk.g_object_unref(texture)
    gtk.gsk_render_node_unref(node)
    gtk.g_object_unref(paintable)
