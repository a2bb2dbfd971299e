#!/bin/sh
# check-format.sh CLANG_FORMAT SOURCE_DIR — fails (listing the files) when any C file of the
# tree differs from what the committed .clang-format makes of it.
set -eu
clang_format=$1
cd "$2"
bad=0
for f in $(find include src tests bench -name '*.[ch]' 2>/dev/null | sort); do
	if ! "$clang_format" --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run: clang-format -i $f)"
		bad=1
	fi
done
exit $bad
