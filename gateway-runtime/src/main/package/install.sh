#!/usr/bin/env bash
# Installs or upgrades the Edge Gateway from this unpacked package. Usage: ./install.sh --help
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(tr -d '[:space:]' < "$here/VERSION")"
prefix=""
user=""
systemd=auto
start=yes
keep=3

usage() {
  cat <<USAGE
Usage: install.sh [--prefix DIR] [--user NAME] [--no-systemd] [--no-start] [--keep N]

Installs Edge Gateway $version, or upgrades an installation to it:
  <prefix>/opt/edge-gateway/$version     the distribution; <prefix>/opt/edge-gateway/current links to it
  <prefix>/etc/edge-gateway              conf/ and deploy/ (configuration, hot-deployed bundles), gateway.env
  <prefix>/var/lib/edge-gateway          the gateway home: data/ (state, stored configurations, outbox)
An upgrade keeps /etc/edge-gateway and /var/lib/edge-gateway: it only adds configuration files that are new in the
package and replaces the package's own bundles in deploy/ (with their .sig signatures).

  --prefix DIR   install below DIR instead of / (without root: together with --no-systemd)
  --user NAME    the service user; as root it is created as a system user if missing (default edge-gateway);
                 without root it must be the current user (the default then)
  --no-systemd   do not install, enable or start the systemd unit (it is still written, filled in, to
                 <prefix>/opt/edge-gateway/$version/systemd/edge-gateway.service)
  --no-start     install and enable the unit, but do not (re)start the service
  --keep N       versions kept in <prefix>/opt/edge-gateway for going back (default 3, the current one included)
USAGE
}

say() { echo "install.sh: $*"; }
die() { echo "install.sh: $*" >&2; exit 1; }

while [[ $# -gt 0 ]]; do
  case "$1" in
    --prefix) [[ $# -ge 2 ]] || die "--prefix needs a directory"; prefix="$2"; shift 2 ;;
    --prefix=*) prefix="${1#*=}"; shift ;;
    --user) [[ $# -ge 2 ]] || die "--user needs a name"; user="$2"; shift 2 ;;
    --user=*) user="${1#*=}"; shift ;;
    --no-systemd) systemd=no; shift ;;
    --no-start) start=no; shift ;;
    --keep) [[ $# -ge 2 && "$2" =~ ^[1-9][0-9]*$ ]] || die "--keep needs a number >= 1"; keep="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown option: $1" ;;
  esac
done

root=no
[[ "$(id -u)" -eq 0 ]] && root=yes
if [[ -n "$prefix" && "$prefix" != "/" ]]; then
  mkdir -p "$prefix"
  prefix="$(cd "$prefix" && pwd)"
else
  prefix=""
fi
OPT="$prefix/opt/edge-gateway"
ETC="$prefix/etc/edge-gateway"
VAR="$prefix/var/lib/edge-gateway"

if [[ "$systemd" == auto ]]; then
  if [[ "$root" == yes ]] && command -v systemctl >/dev/null 2>&1 && [[ -d /run/systemd/system ]]; then
    systemd=yes
  else
    systemd=no
    say "systemd not used (needs root and a running systemd; --no-systemd silences this)"
  fi
fi

# ---- the service user
if [[ "$root" == yes ]]; then
  user="${user:-edge-gateway}"
  if ! id -u "$user" >/dev/null 2>&1; then
    nologin="$(command -v nologin || echo /usr/sbin/nologin)"
    useradd --system --user-group --home-dir "$VAR" --no-create-home --shell "$nologin" \
      --comment "Edge Gateway" "$user"
    say "created system user $user"
  fi
else
  user="${user:-$(id -un)}"
  [[ "$user" == "$(id -un)" ]] || die "using the user '$user' needs root: run as root, or pass --user $(id -un)"
  [[ "$systemd" == no ]] || die "installing the systemd unit needs root: run as root, or pass --no-systemd"
fi
group="$(id -gn "$user")"

# ---- Java 17+
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
if ! command -v "$java_bin" >/dev/null 2>&1; then
  say "WARNING: no java found: install a Java 17+ runtime (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME in $ETC/gateway.env"
else
  jv="$("$java_bin" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')"
  if [[ -n "$jv" && "${jv%%.*}" -lt 17 ]]; then
    say "WARNING: $java_bin is Java $jv; the gateway needs Java 17 or newer"
  fi
fi

was_active=no
if [[ "$systemd" == yes ]] && systemctl is-active --quiet edge-gateway 2>/dev/null; then
  was_active=yes
  say "stopping edge-gateway for the upgrade"
  systemctl stop edge-gateway
fi

render() {
  sed -e "s|@OPT@|$OPT|g" -e "s|@ETC@|$ETC|g" -e "s|@VAR@|$VAR|g" -e "s|@USER@|$user|g" -e "s|@GROUP@|$group|g" "$1"
}

# ---- 1. the distribution, staged and then moved into place
mkdir -p "$OPT"
previous="$(readlink "$OPT/current" 2>/dev/null || true)"
stage="$OPT/.installing-$version-$$"
rm -rf "$stage"
mkdir -p "$stage/systemd"
cp -R "$here/bin" "$here/lib" "$here/bundle" "$here/conf" "$here/deploy" "$stage/"
cp "$here/VERSION" "$here/README-install.txt" "$stage/"
cp "$here/systemd/gateway.env" "$stage/systemd/gateway.env"
render "$here/systemd/edge-gateway.service" > "$stage/systemd/edge-gateway.service"
chmod 755 "$stage/bin/"*
if [[ -e "$OPT/$version" ]]; then
  say "reinstalling $version"
  mv "$OPT/$version" "$OPT/.replaced-$version-$$"
fi
mv "$stage" "$OPT/$version"
rm -rf "$OPT/.replaced-$version-$$"

# ---- 2. configuration: yours is kept; files new in the package are added; the package's bundles are replaced
mkdir -p "$ETC/conf" "$ETC/deploy" "$ETC/.staging"
manifest="$OPT/shipped-files"   # conf/ and deploy/ files of the installed package, to tell new from removed ones
declare -A before=()
if [[ -f "$manifest" ]]; then
  while IFS= read -r f; do [[ -n "$f" ]] && before["$f"]=1; done < "$manifest"
fi
mapfile -t shipped < <(cd "$here" && find conf deploy -type f | LC_ALL=C sort)
added=0; kept=0
for f in "${shipped[@]}"; do
  [[ "$f" == deploy/*.jar || "$f" == deploy/*.jar.sig ]] && continue
  if [[ -e "$ETC/$f" ]]; then
    kept=$((kept + 1))
    if ! cmp -s "$here/$f" "$ETC/$f"; then
      say "kept your $ETC/$f (this version's default: $OPT/$version/$f)"
    fi
  elif [[ -n "${before[$f]:-}" ]]; then
    say "not restoring $ETC/$f: shipped before and removed since"
  else
    mkdir -p "$(dirname "$ETC/$f")"
    cp "$here/$f" "$ETC/.staging/new"
    mv "$ETC/.staging/new" "$ETC/$f"
    added=$((added + 1))
  fi
done
for f in "${!before[@]}"; do
  if [[ ( "$f" == deploy/*.jar || "$f" == deploy/*.jar.sig ) && ! -e "$here/$f" ]]; then
    rm -f "$ETC/$f"
    say "removed the previous package's bundle $ETC/$f"
  fi
done
for f in "${shipped[@]}"; do
  if [[ "$f" == deploy/*.jar ]] && ! { cmp -s "$here/$f" "$ETC/$f" && cmp -s "$here/$f.sig" "$ETC/$f.sig"; }; then
    # staged beside deploy/, then renamed: the deployment agent never sees half a jar; the signature first, so
    # the jar is never there without its own .sig
    if [[ -e "$here/$f.sig" ]]; then
      cp "$here/$f.sig" "$ETC/.staging/signature"
      mv "$ETC/.staging/signature" "$ETC/$f.sig"
    fi
    cp "$here/$f" "$ETC/.staging/bundle"
    mv "$ETC/.staging/bundle" "$ETC/$f"
  fi
done
rmdir "$ETC/.staging" 2>/dev/null || true
printf '%s\n' "${shipped[@]}" > "$manifest.new" && mv "$manifest.new" "$manifest"
if [[ ! -e "$ETC/gateway.env" ]]; then
  cp "$here/systemd/gateway.env" "$ETC/gateway.env"
fi
say "configuration in $ETC: $added files added, $kept kept"

# ---- 3. the home: data/ here, conf/ and deploy/ link to /etc
mkdir -p "$VAR/data"
for d in conf deploy; do
  if [[ -e "$VAR/$d" && ! -L "$VAR/$d" ]]; then
    say "WARNING: $VAR/$d is a directory, not a link to $ETC/$d: left as it is (the gateway uses it)"
  else
    ln -sfn "$ETC/$d" "$VAR/$d"
  fi
done

if [[ "$root" == yes ]]; then
  chown -R "$user:$group" "$VAR"
  chown -R "root:$group" "$ETC"
  chmod -R u+rwX,g+rX,g-w,o-rwx "$ETC"
  # deploy/ only: the service writes remote configuration changes back into its .cfg files (config-set); bundles
  # dropped there still need a trusted signature, conf/ (framework properties, trusted keys) stays root's
  chmod -R g+w "$ETC/deploy"
  chmod 750 "$VAR"
fi

# ---- 4. switch 'current' (atomically), drop old versions beyond --keep
ln -sfn "$version" "$OPT/.current-$$"
mv -Tf "$OPT/.current-$$" "$OPT/current"
n=0
while IFS= read -r d; do
  name="$(basename "$d")"
  [[ "$name" == current || "$name" == "$version" ]] && continue
  n=$((n + 1))
  if [[ $n -ge $keep ]]; then
    rm -rf "$OPT/$name"
    say "removed old version $name"
  fi
done < <(find "$OPT" -mindepth 1 -maxdepth 1 -type d ! -name '.*' -printf '%T@ %p\n' | sort -rn | cut -d' ' -f2-)

# ---- 5. systemd
if [[ "$systemd" == yes ]]; then
  cp "$OPT/$version/systemd/edge-gateway.service" /etc/systemd/system/edge-gateway.service
  systemctl daemon-reload
  systemctl enable edge-gateway >/dev/null
  if [[ "$start" == yes || "$was_active" == yes ]]; then
    systemctl restart edge-gateway
    say "edge-gateway started: journalctl -u edge-gateway -f"
  fi
fi

say "installed Edge Gateway $version in $OPT/$version${previous:+ (was $previous)}"
say "start it with: $(sed -n 's/^ExecStart=//p' "$OPT/$version/systemd/edge-gateway.service")"
