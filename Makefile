# Two commands a user needs: `make demo` and `make test`. Both set themselves up first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Debian 12 / Raspberry Pi OS Bookworm packages: mosquitto, libzbar0, python3-venv, openssl
# (the tests make TLS certificates with it), chromium (the worker's display is tested in it,
# and shown in it on the gate's screen; the browser is never downloaded by the tests), and
# postgresql (the centre's tests start a server of their own from its binaries; its service
# need not run)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: demo test soak check bench lint setup system-packages install-service install-display install-centre clean

# the shift in real time beside the worker's display, the security desk and the centre's board
demo: setup
	$(BIN)/gate-terminal simulate --config config/simulator.toml --workers 60 --screens --stay

# most tests wait on a broker, a browser or a subprocess rather than the CPU: four workers on two cores
TEST_WORKERS ?= 4
test: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal -m "not soak"

# the longest runs, each end to end for minutes: CI runs them after `make test`
soak: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal -m soak

# the fast tier, for a developer between changes: no processes, browsers, PostgreSQL or whole shifts
check: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal -m "not slow and not soak"

# the gate's costs on this machine, into bench/bench-report.md and .json (under 10 minutes on two
# cores); BASE=<commit> measures that commit beside it, IMAGES=DIR decodes photos (x.jpg, x.txt)
BASE ?=
IMAGES ?=
BENCH_ARGS ?=
bench: setup
	$(BIN)/python -m simulator.bench $(if $(BASE),--base $(BASE)) $(if $(IMAGES),--images $(IMAGES)) $(BENCH_ARGS)

lint: setup
	$(BIN)/ruff check terminal drivers simulator firmware tests
	$(BIN)/ruff format --check terminal drivers simulator firmware tests
	$(BIN)/mypy terminal drivers simulator firmware

setup: system-packages $(STAMP)

# Installs what is missing when it can (root, or sudo without a password); otherwise says what to install.
system-packages:
	@missing=""; \
	command -v mosquitto >/dev/null 2>&1 || [ -x /usr/sbin/mosquitto ] || missing="$$missing mosquitto"; \
	{ /sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null; } | grep -q 'libzbar\.so\.0' || missing="$$missing libzbar0"; \
	$(PYTHON) -c 'import ensurepip, venv' >/dev/null 2>&1 || missing="$$missing python3-venv"; \
	command -v openssl >/dev/null 2>&1 || missing="$$missing openssl"; \
	[ -x /usr/bin/chromium ] || [ -x /usr/bin/chromium-browser ] || missing="$$missing chromium"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "gate-terminal: system packages missing:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo="sudo"; \
	else echo "Install them, then run make again:  sudo apt-get install$$missing" >&2; exit 1; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "No apt-get here. Install the equivalents of:$$missing" >&2; exit 1; fi; \
	$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends $$missing \
		|| { echo "Could not install:$$missing. Install them by hand: sudo apt-get install$$missing" >&2; exit 1; }

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "gate-terminal needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1)" >&2; exit 1; }
	@# a venv left half-made (no pip) by an earlier failure is made again
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade pip
	@extras="dev"; \
	if grep -qs 'Raspberry Pi' /proc/device-tree/model; then extras="dev,pi"; fi; \
	$(BIN)/python -m pip install --quiet -e ".[$$extras]"
	@touch $(STAMP)

# On the Raspberry Pi, from a clone at /opt/gate-terminal, as root: the gate's runtime alone (no
# broker, browser, database or test tools), its user, config, empty roster folder and unit, by
# firmware/provision.py (idempotent; README: Install on a Raspberry Pi). The service is enabled
# but not started: it starts once `gate-terminal doctor` passes on the edited config.
# PROVISION=--camera csi for a CSI camera (Picamera2 from Raspberry Pi OS's archive).
PROVISION ?=
install-service:
	$(PYTHON) firmware/provision.py --app-dir $(CURDIR) $(PROVISION)

# On the Raspberry Pi with its desktop, as root: the kiosk browser on the gate's screen for every
# desktop login (the gate's screen logs in automatically: raspi-config, System, Boot / Auto login).
install-display:
	@[ -x /usr/bin/chromium ] || [ -x /usr/bin/chromium-browser ] || apt-get install -y chromium
	install -m 0644 systemd/gate-display.service /etc/systemd/user/gate-display.service
	systemctl --global enable gate-display.service
	@echo "The kiosk starts at the next desktop login; [display] in /etc/gate-terminal/gate.toml sets its language"

# On the park's server, from a clone at /opt/gate-terminal, as root: the operations centre
# (collector, security desk, board) as a service. Its web pages listen on 127.0.0.1: put the
# reverse proxy with TLS in front (docs/centre.md).
install-centre:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
		{ echo "gate-terminal needs Python 3.11 or newer; $(PYTHON) is $$($(PYTHON) -V 2>&1)" >&2; exit 1; }
	@# the centre's runtime alone (PostgreSQL's client included): no camera stack, no test tools
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	$(BIN)/python -m pip install --quiet --upgrade ".[centre,postgresql]"
	id -u gate-centre >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin gate-centre
	install -d -m 0755 /etc/gate-terminal
	test -e /etc/gate-terminal/centre.toml || install -m 0640 -g gate-centre config/centre.example.toml /etc/gate-terminal/centre.toml
	@# the centre's command signing key: made here once, readable by the centre alone
	test -e /etc/gate-terminal/centre-command-key.pem || { \
		$(BIN)/gate-terminal command keygen --out /etc/gate-terminal/centre-command-key.pem > /etc/gate-terminal/centre-command-key.pub && \
		chown gate-centre:gate-centre /etc/gate-terminal/centre-command-key.pem && \
		chmod 0600 /etc/gate-terminal/centre-command-key.pem; }
	install -m 0644 systemd/gate-centre.service /etc/systemd/system/gate-centre.service
	@# the daily backup: enabled by hand once the share is mounted at /mnt/centre-backup
	install -m 0644 systemd/gate-centre-backup.service systemd/gate-centre-backup.timer /etc/systemd/system/
	systemctl daemon-reload
	systemctl enable gate-centre
	@echo "Edit /etc/gate-terminal/centre.toml (park, broker, [commands] key_id), then add the staff:"
	@echo "  sudo -u gate-centre $(CURDIR)/$(BIN)/gate-terminal centre user add NAME --role guard --config /etc/gate-terminal/centre.toml"
	@echo "and start it: systemctl start gate-centre. The key's public line (for every gate's [[commands.keys]]) is in /etc/gate-terminal/centre-command-key.pub"
	@echo "Backups: mount a share at /mnt/centre-backup, then: systemctl enable --now gate-centre-backup.timer (docs/centre.md)"

clean:
	rm -rf $(VENV) var bench .pytest_cache .mypy_cache .ruff_cache *.egg-info
