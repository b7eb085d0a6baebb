# Sourced by bench scripts: the runtime image they measure, built when it is missing.
#   ensure_image NAME IMAGE_DIR ROOT   (NAME prefixes the message)
ensure_image() {
  if [ ! -x "$2/bin/plasm" ]; then
    echo "$1: building the image (scripts/plasm --version)" >&2
    "$3/scripts/plasm" --version >/dev/null
  fi
}
