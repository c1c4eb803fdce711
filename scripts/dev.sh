#!/usr/bin/env bash
# Sets Bookbridge up on this machine (Qt's system libraries, a .venv), then runs the app or the tests.
#   bash scripts/dev.sh app [ARGS...]   install, then run `bookbridge ARGS...` (e.g. --demo)
#   bash scripts/dev.sh test [ARGS...]  install, then ruff, mypy and the whole pytest suite; without
#                                       ARGS, then also the bundle (below)
#   bash scripts/dev.sh bundle          install, then build the PyInstaller bundle (dist/bookbridge)
#                                       and run the built program's --self-test
set -euo pipefail
cd "$(dirname "$0")/.."

# Libraries PySide6's wheels load on Linux but do not ship (Qt for X11 requirements, plus a font).
QT_DEBS="libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3
libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0
libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-xkb1 fonts-dejavu-core"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

pick_python() {
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"; return
    fi
  done
  echo "Bookbridge needs Python 3.11 or newer; install it (apt-get install python3) and retry." >&2
  exit 2
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "Installing system packages: $*"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

ensure_system_libraries() {
  [ "$(uname -s)" = "Linux" ] && command -v dpkg-query >/dev/null 2>&1 || return 0
  local missing=()
  for deb in $QT_DEBS; do
    dpkg-query -W -f='${Status}' "$deb" 2>/dev/null | grep -q "ok installed" || missing+=("$deb")
  done
  [ ${#missing[@]} -eq 0 ] || apt_install "${missing[@]}"
}

ensure_venv() {
  local python; python=$(pick_python)
  if ! "$python" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    apt_install "$(basename "$python")-venv" python3-venv
  fi
  if [ ! -x .venv/bin/python ]; then
    say "Creating .venv with $python"
    "$python" -m venv .venv
  fi
  # Reinstall only when the declared dependencies changed.
  local stamp=.venv/.bookbridge-installed
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    say "Installing Bookbridge and its dependencies into .venv"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".[test,bundle]"
    touch "$stamp"
  fi
}

run_tests() {
  export QT_QPA_PLATFORM=offscreen
  say "ruff check"
  .venv/bin/ruff check app tests bench
  say "mypy app"
  .venv/bin/mypy app
  say "pytest"
  set +e
  .venv/bin/python -m pytest "$@"
  local status=$?
  set -e
  if [ $status -eq 5 ]; then
    echo "pytest collected no tests for this selection (exit 5): nothing failed." >&2
    status=0
  fi
  # The whole suite passed: the bundle users get must build and run too.
  if [ $status -eq 0 ] && [ $# -eq 0 ] && [ -z "${BOOKBRIDGE_SKIP_BUNDLE:-}" ]; then
    build_bundle || status=$?
  fi
  return $status
}

build_bundle() {
  local started=$SECONDS
  say "PyInstaller bundle (build.spec)"
  .venv/bin/pyinstaller --noconfirm --log-level ERROR --distpath dist \
    --workpath build/pyinstaller build.spec
  say "bundle --self-test (offscreen: demo profile, ten invoices to the sandbox company)"
  QT_QPA_PLATFORM=offscreen dist/bookbridge/bookbridge --self-test
  say "bundle ok: $(du -sh dist/bookbridge | cut -f1) in dist/bookbridge, $((SECONDS - started)) s"
}

command=${1:-app}
[ $# -gt 0 ] && shift
ensure_system_libraries
ensure_venv
case "$command" in
  app) exec .venv/bin/bookbridge "$@" ;;
  test) run_tests "$@" ;;
  bundle) build_bundle ;;
  *) echo "usage: bash scripts/dev.sh app|test|bundle [ARGS...]" >&2; exit 2 ;;
esac
