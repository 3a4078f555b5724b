"""Headless Chromium for the console's browser tests.

:func:`ensure_chromium` makes sure Debian's ``chromium`` and
``chromium-driver`` are installed: on a new machine (CI) it installs them
with apt-get, once, under a file lock (several test workers may ask at the
same time). :func:`start_browser` starts one headless Chromium through
selenium with the system driver (selenium never downloads anything).
"""

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = os.environ.get('MC_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('MC_CHROMEDRIVER', '/usr/bin/chromedriver')
APT_LOCK = os.path.join(tempfile.gettempdir(), 'mistral_clone_chromium_apt.lock')
# The network may be closed: without these Chromium waits on lookups.
CHROMIUM_FLAGS = (
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
    '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage', '--hide-scrollbars', '--force-color-profile=srgb',
)


def _installed():
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


def ensure_chromium():
    """Install Chromium and its driver with apt-get when they are missing."""
    if _installed():
        return
    if os.geteuid() != 0 or not shutil.which('apt-get'):
        raise unittest.SkipTest(
            'the browser tests need %s and %s: install them with '
            '"apt-get install -y chromium chromium-driver" (as root)'
            % (CHROMIUM, CHROMEDRIVER))
    with open(APT_LOCK, 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _installed():  # another worker did it while we waited
            return
        env = dict(os.environ, DEBIAN_FRONTEND='noninteractive')
        install = ['apt-get', 'install', '-y', '-q', '--no-install-recommends',
                   'chromium', 'chromium-driver']
        result = subprocess.run(install, env=env, capture_output=True,
                                timeout=900)
        if result.returncode:
            # A fresh machine has no package lists yet.
            subprocess.run(['apt-get', 'update', '-q'], env=env,
                           capture_output=True, timeout=600)
            result = subprocess.run(install, env=env, capture_output=True,
                                    timeout=900)
        if result.returncode or not _installed():
            raise RuntimeError('apt-get could not install chromium: %s' % (
                result.stderr.decode('utf-8', 'replace')[-2000:]))


class Browser(object):
    """One headless Chromium (selenium WebDriver) with its own profile."""

    def __init__(self, width=1440, height=900):
        ensure_chromium()
        self.profile = tempfile.mkdtemp(prefix='mc_chromium_')
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument('--user-data-dir=%s' % self.profile)
        options.add_argument('--window-size=%d,%d' % (width, height))
        options.set_capability('goog:loggingPrefs',
                               {'browser': 'ALL', 'performance': 'ALL'})
        self.driver = webdriver.Chrome(
            service=Service(executable_path=CHROMEDRIVER), options=options)
        self.driver.set_page_load_timeout(60)
        self.driver.set_script_timeout(60)

    def quit(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    def sent_requests(self):
        """(method, url, headers) of the requests sent since the last call."""
        sent = []
        for entry in self.driver.get_log('performance'):
            message = json.loads(entry['message'])['message']
            if message.get('method') == 'Network.requestWillBeSent':
                request = message['params']['request']
                sent.append((request['method'], request['url'],
                             request.get('headers', {})))
        return sent

    def console_errors(self):
        """Script errors in the page's console (uncaught exceptions...);
        an HTTP error status the page expects (a 404) is not one."""
        return [e for e in self.driver.get_log('browser')
                if e.get('level') == 'SEVERE' and e.get('source') != 'network']
