"""The l2tpbus editor as GNOME Settings and nm-connection-editor use it.

The editor plugin is loaded through libnm from a .name file, as GNOME
Settings loads every VPN plugin (NMVpnPluginInfo, then its editor plugin),
in a GTK 3 or a GTK 4 process (L2TPBUS_TEST_GTK; meson runs this file once
per GTK, under Xvfb). Every field is set through the widget tree as a user
would set it, and what update_connection writes is compared key by key;
bad values keep update_connection failing (the host's Save stays off) and
show the message beside the field. Each window and dialog is rendered into
the build directory (L2TPBUS_SCREENSHOT_DIR) and must show something.
"""

import os
import pathlib

import pytest

from gtk_driver import (GTK, GLib, Gtk, NM, NMA, accessible_description, accessible_names,
                        click, find, mnemonic_label_texts, mnemonics, response_sensitive,
                        screenshot, set_active, set_text, settle, show_in_window, toplevels,
                        toplevel_named)

SERVICE = 'org.freedesktop.NetworkManager.l2tpbus'
# meson test puts them in the build directory; by hand they go to /tmp.
SCREENSHOTS = pathlib.Path(os.environ.get('L2TPBUS_SCREENSHOT_DIR', '/tmp/l2tpbus-editor-screenshots'))

MAIN_FIELDS = ['gateway', 'user', 'password', 'domain']
PPP_FIELDS = ['allow_pap', 'allow_chap', 'allow_mschap', 'allow_mschapv2', 'allow_eap', 'mppe',
              'mppe_stateful', 'lcp_echo_interval', 'lcp_echo_failure', 'mtu', 'mru']
IPSEC_FIELDS = ['ipsec_enabled', 'machine_auth_type', 'ipsec_psk', 'machine_ca', 'machine_cert',
                'machine_key', 'machine_certpass', 'ipsec_remote_id', 'ipsec_group_name',
                'ipsec_ike_version', 'ipsec_ike', 'ipsec_esp', 'ipsec_ikelifetime',
                'ipsec_salifetime', 'ipsec_forceencaps', 'ipsec_pfs']


@pytest.fixture(scope='module')
def plugin(tmp_path_factory):
    library = os.environ.get('L2TPBUS_EDITOR_PLUGIN')
    if not library:
        pytest.fail('set L2TPBUS_EDITOR_PLUGIN to libnm-vpn-plugin-l2tpbus.so (meson test does)')
    name_file = tmp_path_factory.mktemp('vpn') / 'nm-l2tpbus-service.name'
    name_file.write_text(f'[VPN Connection]\nname=l2tpbus\nservice={SERVICE}\n'
                         f'program=/usr/libexec/nm-l2tpbus-service\n[libnm]\nplugin={library}\n')
    info = NM.VpnPluginInfo.new_from_file(str(name_file))
    return info.load_editor_plugin()


def test_the_plugin_file_loaded_directly_gives_a_working_editor():
    """nm_vpn_editor_plugin_load_from_file() on the built file, as the issue
    asks: the editor's widget is this process's GTK's."""
    plugin = NM.VpnEditorPlugin.load_from_file(os.environ['L2TPBUS_EDITOR_PLUGIN'], SERVICE,
                                               os.getuid(), lambda *_: True, None)
    editor = Editor(plugin, make_connection({'gateway': 'vpn.example.com'}))
    try:
        assert isinstance(editor.page, Gtk.Grid)
        assert editor.update()[0] == {'gateway': 'vpn.example.com'}
    finally:
        editor.close()


def make_connection(data=None, secrets=None):
    connection = NM.SimpleConnection.new()
    connection.add_setting(NM.SettingConnection(id='Office', uuid=NM.utils_uuid_generate(),
                                                type='vpn'))
    setting = NM.SettingVpn(service_type=SERVICE)
    for key, value in (data or {}).items():
        setting.add_data_item(key, value)
    for key, value in (secrets or {}).items():
        setting.add_secret(key, value)
    connection.add_setting(setting)
    return connection


class Editor:
    """One editor in a window, and the `changed` signals it sent."""

    def __init__(self, plugin, connection):
        self.editor = plugin.get_editor(connection)
        self.page = self.editor.get_widget()
        self.window = show_in_window(self.page)
        self.changes = 0
        self.editor.connect('changed', self._on_changed)

    def _on_changed(self, _editor):
        self.changes += 1

    def field(self, name, dialog=None):
        return find(dialog if dialog is not None else self.page, name)

    def open_dialog(self, button, name):
        click(self.field(button))
        dialog = toplevel_named(name)
        assert dialog is not None, f'{button} opened no {name}'
        return dialog

    def update(self):
        """vpn.data and vpn.secrets as update_connection writes them."""
        connection = make_connection()
        self.editor.update_connection(connection)
        setting = connection.get_setting_vpn()
        assert setting.get_service_type() == SERVICE
        data = {key: setting.get_data_item(key) for key in setting.get_data_keys()}
        secrets = {key: setting.get_secret(key) for key in setting.get_secret_keys()}
        return data, secrets

    def refusal(self):
        """The message update_connection fails with (the host keeps Save off)."""
        with pytest.raises(GLib.Error) as failure:
            self.update()
        return failure.value.message

    def close(self):
        if GTK == 4:
            self.window.destroy()
        else:
            self.window.destroy()
        settle()


@pytest.fixture
def new_editor(plugin):
    editor = Editor(plugin, make_connection())
    yield editor
    editor.close()


def fill(editor, values, dialog=None):
    for name, value in values.items():
        widget = editor.field(name, dialog)
        if isinstance(value, bool):
            set_active(widget, value)
        elif isinstance(widget, Gtk.ComboBox):
            assert widget.set_active_id(value), f'{name} has no choice {value!r}'
            settle()
        else:
            set_text(widget, value)


def test_a_new_profile_with_every_field_set_through_the_widgets(new_editor):
    editor = new_editor
    assert 'gateway: missing' in editor.refusal()
    # Nothing typed yet: Save is off, but nobody is scolded.
    assert not editor.field('main_page_error').get_visible()

    fill(editor, {'gateway': 'vpn.example.com:1701', 'user': 'alice',
                  'password': 'correct horse', 'domain': 'CORP'})
    ppp = editor.open_dialog('ppp_button', 'ppp_dialog')
    fill(editor, {'allow_pap': False, 'allow_chap': False, 'allow_eap': False,
                  'mppe': 'required-128', 'mppe_stateful': True, 'lcp_echo_interval': '20',
                  'lcp_echo_failure': '5', 'mtu': '1380', 'mru': '1390'}, ppp)
    ppp.response(Gtk.ResponseType.OK)
    settle()
    assert toplevel_named('ppp_dialog') is None
    ipsec = editor.open_dialog('ipsec_button', 'ipsec_dialog')
    fill(editor, {'ipsec_enabled': True, 'ipsec_psk': 'pre shared', 'ipsec_remote_id':
                  'gw.example.com', 'ipsec_group_name': 'sales', 'ipsec_ike':
                  'aes256-sha2_256-modp2048', 'ipsec_esp': 'aes256-sha2_256-modp2048',
                  'ipsec_ikelifetime': '8h', 'ipsec_salifetime': '45m',
                  'ipsec_forceencaps': True, 'ipsec_pfs': True}, ipsec)
    ipsec.response(Gtk.ResponseType.OK)
    settle()

    data, secrets = editor.update()
    assert data == {
        'gateway': 'vpn.example.com:1701', 'user': 'alice', 'domain': 'CORP',
        'refuse-pap': 'yes', 'refuse-chap': 'yes', 'refuse-eap': 'yes',
        'require-mppe': 'yes', 'require-mppe-128': 'yes', 'mppe-stateful': 'yes',
        'lcp-echo-interval': '20', 'lcp-echo-failure': '5', 'mtu': '1380', 'mru': '1390',
        'ipsec-enabled': 'yes', 'ipsec-remote-id': 'gw.example.com',
        'ipsec-group-name': 'sales', 'ipsec-ike': 'aes256-sha2_256-modp2048',
        'ipsec-esp': 'aes256-sha2_256-modp2048', 'ipsec-ikelifetime': '8h',
        'ipsec-salifetime': '45m', 'ipsec-forceencaps': 'yes', 'ipsec-pfs': 'yes',
    }
    assert secrets == {'password': 'correct horse', 'ipsec-psk': 'pre shared'}
    assert editor.changes > 0


EXISTING = {
    'gateway': '[2001:db8::1]:1701', 'user': 'bob', 'domain': 'LAB', 'refuse-eap': 'yes',
    'require-mppe': 'yes', 'require-mppe-40': 'yes', 'lcp-echo-interval': '10',
    'lcp-echo-failure': '3', 'mtu': '1400', 'ipsec-enabled': 'yes',
    'machine-auth-type': 'tls', 'machine-ca': '/etc/ipsec.d/cacerts/ca.pem',
    'machine-cert': '/etc/ipsec.d/certs/me.pem', 'machine-key': '/etc/ipsec.d/private/me.pem',
    'machine-certpass-flags': '1', 'ipsec-ikev2': 'yes', 'ipsec-ikelifetime': '3h',
    # Keys the editor does not show stay as they are.
    'ephemeral-port': 'yes', 'user-auth-type': 'password',
}


def test_an_existing_profile_shows_its_values_and_round_trips_unchanged(plugin):
    editor = Editor(plugin, make_connection(EXISTING, {'password': 'pw', 'machine-certpass': 'kp'}))
    try:
        assert editor.field('gateway').get_text() == '[2001:db8::1]:1701'
        assert editor.field('password').get_text() == 'pw'
        ppp = editor.open_dialog('ppp_button', 'ppp_dialog')
        assert editor.field('allow_pap', ppp).get_active()
        assert not editor.field('allow_eap', ppp).get_active()
        assert editor.field('mppe', ppp).get_active_id() == 'required-40'
        assert editor.field('lcp_echo_interval', ppp).get_text() == '10'
        ppp.response(Gtk.ResponseType.OK)
        settle()
        ipsec = editor.open_dialog('ipsec_button', 'ipsec_dialog')
        assert editor.field('machine_auth_type', ipsec).get_active_id() == 'tls'
        assert editor.field('ipsec_ike_version', ipsec).get_active_id() == '2'
        # Certificates chosen: the PSK and the group name mean nothing.
        assert editor.field('machine_cert', ipsec).get_sensitive()
        assert not editor.field('ipsec_psk', ipsec).get_sensitive()
        assert not editor.field('ipsec_group_name', ipsec).get_sensitive()
        ipsec.response(Gtk.ResponseType.CANCEL)
        settle()
        data, secrets = editor.update()
        assert data == EXISTING
        assert secrets == {'password': 'pw', 'machine-certpass': 'kp'}
    finally:
        editor.close()


def test_the_older_remote_id_key_is_shown_and_written_under_its_new_name(plugin):
    profile = {'gateway': 'vpn.example.com', 'ipsec-enabled': 'yes',
               'ipsec-gateway-id': 'gw.example.com'}
    editor = Editor(plugin, make_connection(profile, {'ipsec-psk': 'k'}))
    try:
        data, _ = editor.update()
        assert data == {'gateway': 'vpn.example.com', 'ipsec-enabled': 'yes',
                        'ipsec-remote-id': 'gw.example.com'}
    finally:
        editor.close()


def test_certificates_chosen_through_the_widgets(new_editor):
    editor = new_editor
    set_text(editor.field('gateway'), '192.0.2.1')
    ipsec = editor.open_dialog('ipsec_button', 'ipsec_dialog')
    assert not editor.field('machine_cert_choose', ipsec).get_sensitive()
    fill(editor, {'ipsec_enabled': True, 'machine_auth_type': 'tls'}, ipsec)
    assert not editor.field('ipsec_psk', ipsec).get_sensitive()
    assert editor.field('machine_cert_choose', ipsec).get_sensitive()
    # A certificate is needed: OK and Save are off, and the dialog says why.
    assert not response_sensitive(ipsec, Gtk.ResponseType.OK)
    assert 'machine-cert' in editor.refusal()
    fill(editor, {'machine_ca': '/certs/ca.pem', 'machine_cert': '/certs/me.pem',
                  'machine_key': '/certs/me.key', 'machine_certpass': 'unlock',
                  'ipsec_ike_version': '2'}, ipsec)
    assert response_sensitive(ipsec, Gtk.ResponseType.OK)
    ipsec.response(Gtk.ResponseType.OK)
    settle()
    data, secrets = editor.update()
    assert data == {'gateway': '192.0.2.1', 'ipsec-enabled': 'yes', 'machine-auth-type': 'tls',
                    'machine-ca': '/certs/ca.pem', 'machine-cert': '/certs/me.pem',
                    'machine-key': '/certs/me.key', 'ipsec-ikev2': 'yes'}
    assert secrets == {'machine-certpass': 'unlock'}


@pytest.mark.parametrize('gateway', ['not a host!', 'vpn.example.com:99999', '[2001:db8::1',
                                     '2001:db8::1:1701x'])
def test_a_gateway_that_is_no_host_keeps_save_off_and_says_so_beside_it(new_editor, gateway):
    editor = new_editor
    set_text(editor.field('gateway'), gateway)
    assert editor.refusal().startswith('gateway: expected a host name')
    error = editor.field('main_page_error')
    assert error.get_visible()
    assert error.get_text().startswith('expected a host name')
    # Beside the field: the same row of the page's grid.
    grid = editor.page
    if GTK == 4:
        assert grid.query_child(error)[1] == grid.query_child(editor.field('gateway'))[1]
    else:
        assert (grid.child_get_property(error, 'top-attach') ==
                grid.child_get_property(editor.field('gateway'), 'top-attach'))
    if GTK == 3:
        assert accessible_description(editor.field('gateway')).startswith('expected a host name')
    set_text(editor.field('gateway'), 'vpn.example.com')
    assert not error.get_visible()
    assert editor.update()[0] == {'gateway': 'vpn.example.com'}
    if GTK == 3:
        assert not accessible_description(editor.field('gateway')).startswith('expected')


def test_an_mtu_typed_out_of_range_keeps_ok_off_and_cancel_restores_it(new_editor):
    editor = new_editor
    set_text(editor.field('gateway'), 'vpn.example.com')
    ppp = editor.open_dialog('ppp_button', 'ppp_dialog')
    set_text(editor.field('mtu', ppp), '99999')
    assert not response_sensitive(ppp, Gtk.ResponseType.OK)
    assert editor.field('ppp_page_error', ppp).get_visible()
    assert 'from 68 to 65535' in editor.field('ppp_page_error', ppp).get_text()
    assert editor.refusal().startswith('mtu: ')
    # The main page says it too, beside the dialog's button.
    assert editor.field('main_page_error').get_text().startswith('MTU: ')
    ppp.response(Gtk.ResponseType.CANCEL)
    settle()
    assert editor.update()[0] == {'gateway': 'vpn.example.com'}
    assert not editor.field('main_page_error').get_visible()


def test_refusing_every_authentication_method_is_refused(new_editor):
    editor = new_editor
    set_text(editor.field('gateway'), 'vpn.example.com')
    ppp = editor.open_dialog('ppp_button', 'ppp_dialog')
    fill(editor, {name: False for name in PPP_FIELDS if name.startswith('allow_')}, ppp)
    assert 'every PPP authentication method is refused' in editor.refusal()
    assert not response_sensitive(ppp, Gtk.ResponseType.OK)
    set_active(editor.field('allow_mschapv2', ppp), True)
    assert response_sensitive(ppp, Gtk.ResponseType.OK)
    ppp.response(Gtk.ResponseType.OK)
    settle()
    data, _ = editor.update()
    assert data == {'gateway': 'vpn.example.com', 'refuse-pap': 'yes', 'refuse-chap': 'yes',
                    'refuse-mschap': 'yes', 'refuse-eap': 'yes'}


def test_bad_ipsec_proposals_and_lifetimes_are_refused(new_editor):
    editor = new_editor
    set_text(editor.field('gateway'), 'vpn.example.com')
    ipsec = editor.open_dialog('ipsec_button', 'ipsec_dialog')
    fill(editor, {'ipsec_enabled': True, 'ipsec_psk': 'k'}, ipsec)
    for field, value, key in [('ipsec_ike', 'aes256 sha1', 'ipsec-ike'),
                              ('ipsec_salifetime', '9w', 'ipsec-salifetime'),
                              ('ipsec_ikelifetime', '30s', 'ipsec-ikelifetime')]:
        set_text(editor.field(field, ipsec), value)
        assert editor.refusal().startswith(key + ': ')
        assert not response_sensitive(ipsec, Gtk.ResponseType.OK)
        set_text(editor.field(field, ipsec), '')
        assert response_sensitive(ipsec, Gtk.ResponseType.OK)
    ipsec.response(Gtk.ResponseType.OK)
    settle()


def test_password_asked_every_time_is_not_saved(new_editor):
    editor = new_editor
    fill(editor, {'gateway': 'vpn.example.com', 'password': 'typed'})
    # What the password-storage menu's "Ask for this password every time" does.
    NMA.utils_update_password_storage(editor.field('password'),
                                      NM.SettingSecretFlags.NOT_SAVED, NM.SettingVpn(), 'password')
    settle()
    data, secrets = editor.update()
    assert data == {'gateway': 'vpn.example.com', 'password-flags': '2'}
    assert secrets == {}
    NMA.utils_update_password_storage(editor.field('password'),
                                      NM.SettingSecretFlags.AGENT_OWNED, NM.SettingVpn(), 'password')
    set_text(editor.field('password'), 'kept')
    data, secrets = editor.update()
    assert data == {'gateway': 'vpn.example.com', 'password-flags': '1'}
    assert secrets == {'password': 'kept'}


def test_every_field_has_a_name_a_screen_reader_reads(new_editor):
    editor = new_editor
    pages = {'main': (editor.page, MAIN_FIELDS)}
    for button, name, fields in [('ppp_button', 'ppp_dialog', PPP_FIELDS),
                                 ('ipsec_button', 'ipsec_dialog', IPSEC_FIELDS)]:
        dialog = editor.open_dialog(button, name)
        for field in fields:
            widget = editor.field(field, dialog)
            texts = (mnemonic_label_texts(widget) if not isinstance(widget, Gtk.CheckButton)
                     else [widget.get_label().replace('_', '')])
            assert texts and texts[0], f'{field} has no label'
            if GTK == 3:
                assert texts[0] in accessible_names(widget), field
        dialog.response(Gtk.ResponseType.CANCEL)
        settle()
    for field in pages['main'][1]:
        widget = editor.field(field)
        texts = mnemonic_label_texts(widget)
        assert texts and texts[0], f'{field} has no label'
        if GTK == 3:
            assert texts[0] in accessible_names(widget), field


def test_every_window_has_distinct_mnemonics(new_editor):
    editor = new_editor
    windows = {'main page': editor.page}
    for button, name in [('ppp_button', 'ppp_dialog'), ('ipsec_button', 'ipsec_dialog')]:
        windows[name] = editor.open_dialog(button, name)
        keys = mnemonics(windows[name])
        letters = [key for key, _ in keys]
        assert len(letters) == len(set(letters)), f'{name}: {sorted(keys)}'
        windows[name].response(Gtk.ResponseType.CANCEL)
        settle()
    keys = mnemonics(editor.page)
    assert len(keys) >= 6
    assert len({key for key, _ in keys}) == len(keys), sorted(keys)


def test_show_passwords_shows_every_secret_field(new_editor):
    editor = new_editor
    ipsec = editor.open_dialog('ipsec_button', 'ipsec_dialog')
    secret_fields = [editor.field('password'), editor.field('ipsec_psk', ipsec),
                     editor.field('machine_certpass', ipsec)]
    assert not any(field.get_visibility() for field in secret_fields)
    set_active(editor.field('show_password'), True)
    assert all(field.get_visibility() for field in secret_fields)
    set_active(editor.field('show_password'), False)
    assert not any(field.get_visibility() for field in secret_fields)
    ipsec.response(Gtk.ResponseType.CANCEL)
    settle()


def test_choose_a_certificate_file(new_editor, tmp_path):
    editor = new_editor
    certificate = tmp_path / 'gateway-ca.pem'
    certificate.write_text('-----BEGIN CERTIFICATE-----\n')
    ipsec = editor.open_dialog('ipsec_button', 'ipsec_dialog')
    fill(editor, {'ipsec_enabled': True, 'machine_auth_type': 'tls'}, ipsec)
    click(editor.field('machine_ca_choose', ipsec))
    chooser = next((window for window in toplevels()
                    if isinstance(window, Gtk.FileChooserDialog) and window.get_visible()), None)
    assert chooser is not None, 'Choose… opened no file chooser'
    from gi.repository import Gio
    chooser.set_file(Gio.File.new_for_path(str(certificate)))
    # GTK 4 selects the file once its folder has loaded, in the background.
    for _ in range(50):
        settle(milliseconds=100)
        chosen = chooser.get_file()
        if chosen is not None and chosen.get_path() == str(certificate):
            break
    chooser.response(Gtk.ResponseType.ACCEPT)
    settle()
    ca_field = editor.field('machine_ca', ipsec)
    assert ca_field.get_text() == str(certificate)
    ipsec.response(Gtk.ResponseType.CANCEL)
    settle()
    # Cancel: the chosen file goes with the rest of the dialog's edits.
    assert ca_field.get_text() == ''


def assert_rendered(widget, name):
    width, height, colours = screenshot(widget, SCREENSHOTS / f'{name}.png')
    assert width > 100 and height > 50, f'{name}: {width}x{height}'
    # Text, frames and buttons: an empty or one-colour image rendered nothing.
    assert colours > 16, f'{name}: only {colours} colours'


def test_screenshots_of_the_page_and_both_dialogs(plugin):
    profile = dict(EXISTING, **{'machine-auth-type': 'psk', 'ipsec-ikev2': 'no'})
    for key in ('machine-ca', 'machine-cert', 'machine-key', 'machine-certpass-flags'):
        del profile[key]
    editor = Editor(plugin, make_connection(profile, {'password': 'pw', 'ipsec-psk': 'k'}))
    try:
        assert_rendered(editor.page, 'main-page')
        ppp = editor.open_dialog('ppp_button', 'ppp_dialog')
        assert_rendered(ppp, 'ppp-dialog')
        ppp.response(Gtk.ResponseType.OK)
        settle()
        ipsec = editor.open_dialog('ipsec_button', 'ipsec_dialog')
        assert_rendered(ipsec, 'ipsec-dialog')
        ipsec.response(Gtk.ResponseType.OK)
        settle()
        set_text(editor.field('gateway'), 'vpn example com')
        assert_rendered(editor.page, 'main-page-invalid-gateway')
    finally:
        editor.close()
