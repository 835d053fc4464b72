#!/usr/bin/env bash
# Installs (or updates) the `swanlab-crawler` .NET tool from this clone:
#   ./install.sh                      # global tool: ~/.dotnet/tools/swanlab-crawler
#   ./install.sh --tool-path DIR      # into DIR instead (CI, no PATH change)
# Each pack gets its own version (0.1.0-local.<UTC time>), so NuGet's package cache never serves an older build.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

target=(--global)
if [[ $# -ge 2 && $1 == --tool-path ]]; then
  target=(--tool-path "$2")
elif [[ $# -gt 0 ]]; then
  echo "usage: $0 [--tool-path DIR]" >&2
  exit 2
fi

base=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' Directory.Build.props | head -n 1)
version="${base}-local.$(date -u +%Y%m%d%H%M%S)"
packages="artifacts/packages"
rm -f "$packages"/swanlab-crawler.*-local.*.nupkg
dotnet pack src/SwanLab.Crawler -c Release -p:Version="$version" -o "$packages" -v quiet --nologo

# `tool update` installs when absent and replaces an older install when present.
dotnet tool update "${target[@]}" --add-source "$packages" --version "$version" swanlab-crawler
if [[ ${target[0]} == --global ]]; then
  echo "Installed swanlab-crawler $version. If the command is not found, add ~/.dotnet/tools to PATH."
fi
