#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs every Debian package rpcmon's build, tests and lab need. Idempotent: packages already
# present are skipped, so a second run costs one dpkg query.
set -euo pipefail

BUILD_PKGS=(cmake make g++ clang llvm pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev
            libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libyaml-cpp-dev libgtest-dev libgmock-dev libpcap-dev
            libclang-rt-14-dev libssl-dev)
TEST_PKGS=(iproute2 ethtool tcpdump tshark rpcbind libnfs-utils nfs-ganesha nfs-ganesha-vfs
           samba smbclient samba-ad-dc winbind samba-ad-provision python3-impacket tcpreplay tmux procps nmap rsyslog rsyslog-gnutls openssl
           time valgrind python3-scapy lintian logrotate dpkg-dev groff-base systemd
           curl prometheus)  # metrics test: curl, promtool (where systemd runs, prometheus starts a server on :9090)

missing=()
wanted=("${BUILD_PKGS[@]}")
[[ "${1:-}" == "--build-only" ]] || wanted+=("${TEST_PKGS[@]}")
for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    # tshark asks whether non-root users may capture; answer for it.
    echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
    SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
    $SUDO apt-get update -qq
    # --no-install-recommends: samba's recommends would edit the host's nsswitch/PAM.
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
    echo "setup: all packages present"
fi
