"""Issue 16: `nmcli --ask connection up` of a profile whose password is
"ask every time" (password-flags=2) gets it through nmcli's secret agent,
which runs our nm-l2tpbus-auth-dialog in external UI mode (the installed
.name file names it and says supports-external-ui-mode=true) and asks on
its terminal for what the dialog's key file marks ShouldAsk.

nmcli reads the answer from its terminal, so it runs on a pty here. Its
prompt carries our label and our description (nmcli's own fallback for an
unknown VPN type asks for nothing), so the prompt is the proof that the
dialog ran. The right answer brings the connection up (ppp device, pool
address, ping across); a wrong one fails it as a PPP login failure; none
(end of input at the prompt) fails it too; neither leaves a ppp device, a
kernel tunnel or a pppd behind.

Shares the VM boot's desktop with test_nm.py (conftest.py's `desktop`).
Runs in the VM: meson test --suite vm vm-nm.
"""

import os
import pty
import re
import select
import signal
import subprocess
import time

from nm_desktop import (LNS_ADDRESS, USERS, assert_nothing_left, in_pool, nmcli,
                        root_ppp_devices, show, vpn_profile)
from vmtest import sh, wait_until

PROMPT = re.compile(rb'Password \(vpn\.secrets\.password\): ')
# Our description (auth_request.c), which nmcli prints above its prompt.
DESCRIPTION = 'Authentication is required to connect to the VPN'
EOF_KEY = b'\x04'  # end of input at the prompt, as Ctrl-D on a terminal


def nmcli_ask_up(name, answers, timeout=120.0):
    """`nmcli --ask connection up NAME` on a pty, each answer (bytes, with
    its line end) written at a password prompt, in turn; the last one again at
    any further prompt. Returns (exit status, terminal output, prompts)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(['nmcli', '--ask', '--wait', '90', 'connection', 'up', name],
                               stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    os.close(slave)
    output = b''
    prompts = 0
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready = select.select([master], [], [], 0.5)[0]
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the terminal's other end is closed
                    break
                if not chunk:
                    break
                output += chunk
                while len(PROMPT.findall(output)) > prompts:
                    answer = answers[min(prompts, len(answers) - 1)]
                    prompts += 1
                    if prompts > 5:
                        raise AssertionError('nmcli keeps asking:\n'
                                             + output.decode(errors='replace'))
                    os.write(master, answer)
            elif process.poll() is not None:
                break
        status = process.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(master)
    return status, output.decode(errors='replace'), prompts


def ask_every_time_profile(name):
    vpn_profile(name, 'alice', extra=', password-flags=2')
    assert 'password-flags = 2' in show(name, 'vpn.data')
    assert saved_secrets(name) == ''


def saved_secrets(name):
    return nmcli('--show-secrets', '-g', 'vpn.secrets', 'connection', 'show', name).stdout.strip()


def test_nmcli_ask_gets_the_password_through_the_auth_dialog(desktop, lns, capsys):
    ask_every_time_profile('ask-vpn')
    started = time.monotonic()
    status, output, prompts = nmcli_ask_up('ask-vpn', [USERS['alice'].encode() + b'\n'])
    took = time.monotonic() - started
    assert status == 0, output
    assert prompts == 1, output
    assert DESCRIPTION in output and '“ask-vpn”' in output, output
    with capsys.disabled():
        print(f'\nnmcli --ask connection up ask-vpn (prompt answered at once): {took:.2f} s')
    assert show('ask-vpn', 'GENERAL.STATE') == 'activated'
    address = show('ask-vpn', 'IP4.ADDRESS').split('/')[0]
    assert in_pool(address), address
    devices = root_ppp_devices()
    assert len(devices) == 1, devices
    sh('ping', '-n', '-c', '1', '-W', '5', '-I', devices[0], LNS_ADDRESS, timeout=20)
    # Asked every time: nothing was saved with the profile.
    assert saved_secrets('ask-vpn') == ''
    nmcli('connection', 'down', 'ask-vpn', timeout=60)
    assert_nothing_left()
    # The password went through the daemon to pppd, never into its log.
    assert USERS['alice'] not in desktop.daemon_log.read_text(errors='replace')


def last_line(output):
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else ''


def test_nmcli_ask_with_a_wrong_password_fails_cleanly(desktop, lns, capsys):
    ask_every_time_profile('ask-wrong-vpn')
    log_before = len(desktop.nm_log.read_text(errors='replace'))
    status, output, prompts = nmcli_ask_up('ask-wrong-vpn', [b'not the password\n'])
    assert status != 0, output
    assert prompts >= 1, output
    assert show('ask-wrong-vpn', 'GENERAL.STATE') in ('', 'deactivated'), output
    wait_until(lambda: 'failure: login-failed'
               in desktop.nm_log.read_text(errors='replace')[log_before:],
               10, 'NetworkManager to log the VPN failure reason login-failed')
    assert_nothing_left()
    with capsys.disabled():
        print(f'\nwrong password: nmcli --ask exited {status} after {prompts} prompt(s): '
              f'{last_line(output)}')


def test_nmcli_ask_without_an_answer_fails_cleanly(desktop, lns, capsys):
    ask_every_time_profile('ask-none-vpn')
    status, output, prompts = nmcli_ask_up('ask-none-vpn', [EOF_KEY])
    assert status != 0, output
    assert prompts >= 1, output
    assert show('ask-none-vpn', 'GENERAL.STATE') in ('', 'deactivated'), output
    assert_nothing_left()
    with capsys.disabled():
        print(f'\nno answer: nmcli --ask exited {status} after {prompts} prompt(s): '
              f'{last_line(output)}')
