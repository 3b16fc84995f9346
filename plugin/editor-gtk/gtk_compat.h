// The few GTK calls that differ between GTK 3 and GTK 4, so that one set of
// editor sources builds both libraries (plugin/meson.build compiles them once
// against each). Everything else the editor uses is the same in both.
#pragma once

#include <gtk/gtk.h>

static inline const char* compat_entry_text(GtkWidget* entry) {
#if GTK_CHECK_VERSION(4, 0, 0)
  return gtk_editable_get_text(GTK_EDITABLE(entry));
#else
  return gtk_entry_get_text(GTK_ENTRY(entry));
#endif
}

static inline void compat_entry_set_text(GtkWidget* entry, const char* text) {
#if GTK_CHECK_VERSION(4, 0, 0)
  gtk_editable_set_text(GTK_EDITABLE(entry), text != NULL ? text : "");
#else
  gtk_entry_set_text(GTK_ENTRY(entry), text != NULL ? text : "");
#endif
}

static inline gboolean compat_check_active(GtkWidget* check) {
#if GTK_CHECK_VERSION(4, 0, 0)
  return gtk_check_button_get_active(GTK_CHECK_BUTTON(check));
#else
  return gtk_toggle_button_get_active(GTK_TOGGLE_BUTTON(check));
#endif
}

static inline void compat_check_set_active(GtkWidget* check, gboolean active) {
#if GTK_CHECK_VERSION(4, 0, 0)
  gtk_check_button_set_active(GTK_CHECK_BUTTON(check), active);
#else
  gtk_toggle_button_set_active(GTK_TOGGLE_BUTTON(check), active);
#endif
}

// The text being typed into a spin button, before GTK clamps it into range:
// validation judges what the user sees.
static inline const char* compat_spin_text(GtkWidget* spin) {
#if GTK_CHECK_VERSION(4, 0, 0)
  return gtk_editable_get_text(GTK_EDITABLE(spin));
#else
  return gtk_entry_get_text(GTK_ENTRY(spin));
#endif
}

// The signal a text field or spin button emits on every keystroke.
#define COMPAT_TEXT_CHANGED_SIGNAL "changed"

static inline void compat_box_append(GtkWidget* box, GtkWidget* child) {
#if GTK_CHECK_VERSION(4, 0, 0)
  gtk_box_append(GTK_BOX(box), child);
#else
  gtk_container_add(GTK_CONTAINER(box), child);
#endif
}

static inline void compat_box_remove(GtkWidget* box, GtkWidget* child) {
#if GTK_CHECK_VERSION(4, 0, 0)
  gtk_box_remove(GTK_BOX(box), child);
#else
  gtk_container_remove(GTK_CONTAINER(box), child);
#endif
}

// Where `child` sits in `grid`: its column and row.
static inline void compat_grid_position(GtkWidget* grid, GtkWidget* child, int* column, int* row) {
#if GTK_CHECK_VERSION(4, 0, 0)
  gtk_grid_query_child(GTK_GRID(grid), child, column, row, NULL, NULL);
#else
  gtk_container_child_get(GTK_CONTAINER(grid), child, "left-attach", column, "top-attach", row,
                          NULL);
#endif
}

static inline void compat_grid_remove(GtkWidget* grid, GtkWidget* child) {
#if GTK_CHECK_VERSION(4, 0, 0)
  gtk_grid_remove(GTK_GRID(grid), child);
#else
  gtk_container_remove(GTK_CONTAINER(grid), child);
#endif
}

static inline GtkWindow* compat_toplevel_window(GtkWidget* widget) {
#if GTK_CHECK_VERSION(4, 0, 0)
  GtkRoot* root = gtk_widget_get_root(widget);
  return GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL;
#else
  GtkWidget* toplevel = gtk_widget_get_toplevel(widget);
  return GTK_IS_WINDOW(toplevel) ? GTK_WINDOW(toplevel) : NULL;
#endif
}

static inline void compat_window_present(GtkWidget* window) {
#if GTK_CHECK_VERSION(4, 0, 0)
  gtk_window_present(GTK_WINDOW(window));
#else
  gtk_widget_show(window);
  gtk_window_present(GTK_WINDOW(window));
#endif
}

static inline void compat_window_destroy(GtkWidget* window) {
#if GTK_CHECK_VERSION(4, 0, 0)
  gtk_window_destroy(GTK_WINDOW(window));
#else
  gtk_widget_destroy(window);
#endif
}

// The name GTK gave an object from its GtkBuilder id.
static inline const char* compat_builder_id(GtkWidget* widget) {
#if GTK_CHECK_VERSION(4, 0, 0)
  return gtk_buildable_get_buildable_id(GTK_BUILDABLE(widget));
#else
  return gtk_buildable_get_name(GTK_BUILDABLE(widget));
#endif
}

static inline void compat_add_css_class(GtkWidget* widget, const char* name) {
#if GTK_CHECK_VERSION(4, 0, 0)
  gtk_widget_add_css_class(widget, name);
#else
  gtk_style_context_add_class(gtk_widget_get_style_context(widget), name);
#endif
}

static inline void compat_remove_css_class(GtkWidget* widget, const char* name) {
#if GTK_CHECK_VERSION(4, 0, 0)
  gtk_widget_remove_css_class(widget, name);
#else
  gtk_style_context_remove_class(gtk_widget_get_style_context(widget), name);
#endif
}

static inline void compat_label_set_wrap(GtkWidget* label, gboolean wrap) {
#if GTK_CHECK_VERSION(4, 0, 0)
  gtk_label_set_wrap(GTK_LABEL(label), wrap);
#else
  gtk_label_set_line_wrap(GTK_LABEL(label), wrap);
#endif
}

// What a screen reader says about `widget` beyond its name: the validation
// message while the field is refused (NULL: none), else its tooltip.
static inline void compat_set_accessible_error(GtkWidget* widget, const char* message) {
#if GTK_CHECK_VERSION(4, 0, 0)
  if (message != NULL) {
    gtk_accessible_update_property(GTK_ACCESSIBLE(widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                   message, -1);
  } else {
    gtk_accessible_reset_property(GTK_ACCESSIBLE(widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
  }
  gtk_accessible_update_state(
      GTK_ACCESSIBLE(widget), GTK_ACCESSIBLE_STATE_INVALID,
      message != NULL ? GTK_ACCESSIBLE_INVALID_TRUE : GTK_ACCESSIBLE_INVALID_FALSE, -1);
#else
  g_autofree char* tooltip = gtk_widget_get_tooltip_text(widget);
  const char* description = message != NULL ? message : tooltip;
  atk_object_set_description(gtk_widget_get_accessible(widget),
                             description != NULL ? description : "");
#endif
}

static inline void compat_set_accessible_name(GtkWidget* widget, const char* name) {
#if GTK_CHECK_VERSION(4, 0, 0)
  gtk_accessible_update_property(GTK_ACCESSIBLE(widget), GTK_ACCESSIBLE_PROPERTY_LABEL, name, -1);
#else
  atk_object_set_name(gtk_widget_get_accessible(widget), name);
#endif
}

// A copy of the tooltip (GTK 3 returns one; GTK 4 lends its own).
static inline char* compat_tooltip_text(GtkWidget* widget) {
#if GTK_CHECK_VERSION(4, 0, 0)
  return g_strdup(gtk_widget_get_tooltip_text(widget));
#else
  return gtk_widget_get_tooltip_text(widget);
#endif
}
