#!/usr/bin/env bash
# Lists includes that point up the room order (STYLE.md section 1):
# core -> proto -> actors -> http/dsort/etl -> cmd/cli/bench. Exit 1 if any.
set -u
cd "$(dirname "$0")/.." || exit 2
rank() {
	case "$1" in
	core) echo 0 ;; proto) echo 1 ;; actors) echo 2 ;;
	http | dsort | etl) echo 3 ;; cmd | cli | bench) echo 4 ;;
	*) echo -1 ;;
	esac
}
bad=0
for room in core proto actors http dsort etl; do
	[ -d "$room" ] || continue
	r=$(rank "$room")
	while IFS=: read -r file _ inc; do
		dep=$(echo "$inc" | sed -n 's/.*#include "\([a-z]*\)\/.*/\1/p')
		[ -n "$dep" ] || continue
		d=$(rank "$dep")
		if [ "$d" -gt "$r" ] || { [ "$d" -eq "$r" ] && [ "$dep" != "$room" ]; }; then
			echo "upward include: $file includes $dep/ ($inc)"
			bad=1
		fi
	done < <(grep -rn '#include "' "$room" --include='*.c' --include='*.h')
done
exit $bad
