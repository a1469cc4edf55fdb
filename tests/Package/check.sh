#!/usr/bin/env bash
# The packages as a user gets them: packs Nabla, Nabla.Vision, Nabla.Text and the Nabla.Cli tool,
# checks what each package holds (InspectPackages.cs), builds the README's "Use it in your own
# project" program in a throwaway project against the packed packages, runs it, then installs the
# nabla tool from its package and trains with it. Needs only the .NET SDK and NuGet access.
#
# The throwaway project lives outside the repository (no Directory.Build.props of ours applies) and
# restores into its own NuGet cache, with Nabla* mapped to the fresh packages only, so neither a
# stale cached Nabla nor one from a feed can stand in for what was just packed.
#
#   tests/Package/check.sh             # prints "package check: passed" last, or exits non-zero
#   tests/Package/check.sh --no-build  # packs what `dotnet build/test Nabla.slnx -c Release` built (.ci/run)
set -euo pipefail
pack_options=()
if [ "${1-}" = "--no-build" ]; then pack_options=(--no-build); fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d -t nabla-package-check.XXXXXX)"
trap 'rm -rf "$work"' EXIT
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
packages="$work/packages"
step() { echo "--- package check: $*"; }

step "dotnet pack"
dotnet pack "$root/Nabla.slnx" -c Release -o "$packages" -v quiet -nologo "${pack_options[@]}"
version="$(sed -n 's:.*<VersionPrefix>\(.*\)</VersionPrefix>.*:\1:p' "$root/Directory.Build.props")"
ls -l "$packages"
# From here on, a cache of its own (the pack above restored the repository as usual).
export NUGET_PACKAGES="$work/nuget-cache"

# Everything the throwaway projects restore: Nabla* from the folder just packed, the rest from nuget.org.
cat > "$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$packages" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="local"><package pattern="Nabla" /><package pattern="Nabla.*" /></packageSource>
    <packageSource key="nuget.org"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
CONFIG

# The program of a README section (its only csharp block), to compare or to build.
program_of() { awk -v heading="$2" '$0 == heading {in_section = 1; next} /^#/ && in_section {exit} in_section && /^```csharp/ {code = 1; next} code && /^```/ {code = 0; next} code {print}' "$1"; }

step "what the packages hold"
mkdir "$work/inspect"
cp "$root/tests/Package/InspectPackages.cs" "$work/inspect/"
(cd "$work/inspect" && dotnet run InspectPackages.cs -- "$packages" "$version")

step "the README's program against the packages"
program_of "$root/README.md" "## Use it in your own project" > "$work/readme-program.cs"
program_of "$root/src/PACKAGE.md" "# Nabla" > "$work/package-readme-program.cs"
[ -s "$work/readme-program.cs" ] || { echo "README.md: no csharp block under '## Use it in your own project'" >&2; exit 1; }
diff -u "$work/readme-program.cs" "$work/package-readme-program.cs" \
    || { echo "src/PACKAGE.md's program differs from README.md's (above)" >&2; exit 1; }
mkdir "$work/MyModel"
cat > "$work/MyModel/MyModel.csproj" <<'PROJECT'
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <ImplicitUsings>enable</ImplicitUsings>
    <Nullable>enable</Nullable>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
</Project>
PROJECT
cp "$work/readme-program.cs" "$work/MyModel/Program.cs"
(cd "$work/MyModel" && dotnet add package Nabla.Vision --version "$version")
output="$(cd "$work/MyModel" && dotnet run -c Release)"
echo "$output"
# Nabla came from the local folder (the mapping allows nothing else), at the version just packed.
[ -f "$NUGET_PACKAGES/nabla/$version/nabla.nuspec" ] || { echo "Nabla $version is not in the throwaway cache" >&2; exit 1; }
accuracy="$(echo "$output" | sed -n 's/^epoch 5: test accuracy \([0-9.]*\)$/\1/p')"
awk -v a="$accuracy" 'BEGIN { exit !(a != "" && a >= 0.65) }' \
    || { echo "the program's last epoch should reach test accuracy 0.65, got '${accuracy}'" >&2; exit 1; }

step "the nabla tool from its package"
(cd "$work" && dotnet tool install Nabla.Cli --version "$version" --tool-path "$work/tools")
"$work/tools/nabla" --help | tee "$work/help.txt"
grep -q "train" "$work/help.txt" || { echo "nabla --help does not list train" >&2; exit 1; }
mkdir "$work/run"
(cd "$work/run" && "$work/tools/nabla" train mlp --data sample --limit 1000 --epochs 2)
# The plot is a PNG (its 8-byte signature), drawn without any native library.
[ "$(head -c 8 "$work/run/runs/mlp/curves.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] \
    || { echo "nabla train wrote no PNG plot" >&2; exit 1; }

echo "package check: passed"
