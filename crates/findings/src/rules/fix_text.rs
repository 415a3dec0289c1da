//! Remediation text shared by several rules, as macros so rules can `concat!` them into
//! `&'static str` tables. Every line is a command or a configuration line to copy.
//!
//! Syntax checked against: Set-SmbServerConfiguration and Set-NetFirewallRule /
//! New-NetFirewallRule (learn.microsoft.com, module SmbShare / NetSecurity), SetTcpipNetbios of
//! Win32_NetworkAdapterConfiguration (2 = DisableNetbios), smb.conf(5), nft(8), iptables(8).

use crate::finding::Platform;

/// Windows Firewall: block SMB and NetBIOS from untrusted (Public profile) networks and scope
/// the built-in File and Printer Sharing rules to the local subnet.
macro_rules! windows_firewall {
    () => {
        "New-NetFirewallRule -DisplayName 'Block SMB inbound' -Direction Inbound -Protocol TCP -LocalPort 139,445 -Action Block -Profile Public\n\
         New-NetFirewallRule -DisplayName 'Block NetBIOS inbound' -Direction Inbound -Protocol UDP -LocalPort 137,138 -Action Block -Profile Public\n\
         Set-NetFirewallRule -DisplayGroup 'File and Printer Sharing' -RemoteAddress LocalSubnet"
    };
}
pub(super) use windows_firewall;

/// Windows: NetBIOS over TCP/IP off on every adapter (stops 137/udp, 138/udp and 139/tcp).
macro_rules! windows_netbios_off {
    () => {
        "Get-CimInstance Win32_NetworkAdapterConfiguration -Filter 'IPEnabled=true' | Invoke-CimMethod -MethodName SetTcpipNetbios -Arguments @{TcpipNetbiosOptions=2}"
    };
}
pub(super) use windows_netbios_off;

/// Samba: no NetBIOS (nmbd, 137-139), SMB on 445 only.
macro_rules! samba_netbios_off {
    () => {
        "# smb.conf, [global]\n\
         disable netbios = yes\n\
         smb ports = 445\n\
         # then: systemctl disable --now nmbd; systemctl restart smbd"
    };
}
pub(super) use samba_netbios_off;

/// Samba: listen on the inside interfaces only, and refuse other networks at connect time.
macro_rules! samba_bind_inside {
    () => {
        "# smb.conf, [global]: eth0 and 192.168.1.0/24 stand for the inside interface and network\n\
         interfaces = lo eth0\n\
         bind interfaces only = yes\n\
         hosts allow = 127.0.0.1 192.168.1.0/24\n\
         hosts deny = ALL"
    };
}
pub(super) use samba_bind_inside;

/// Perimeter: drop SMB, NetBIOS and the RPC endpoint mapper at the edge (nftables, iptables).
macro_rules! perimeter_block {
    () => {
        "# nftables (wan0 = the internet-facing interface; use the forward chain on a router too)\n\
         nft add rule inet filter input iifname \"wan0\" tcp dport { 135, 139, 445 } drop\n\
         nft add rule inet filter input iifname \"wan0\" udp dport 137-138 drop\n\
         nft add rule inet filter forward iifname \"wan0\" tcp dport { 135, 139, 445 } drop\n\
         nft add rule inet filter forward iifname \"wan0\" udp dport 137-138 drop\n\
         # iptables (repeat with ip6tables)\n\
         iptables -A INPUT -i wan0 -p tcp -m multiport --dports 135,139,445 -j DROP\n\
         iptables -A INPUT -i wan0 -p udp --dport 137:138 -j DROP\n\
         iptables -A FORWARD -i wan0 -p tcp -m multiport --dports 135,139,445 -j DROP\n\
         iptables -A FORWARD -i wan0 -p udp --dport 137:138 -j DROP\n\
         # no firewall of your own: ask the ISP to filter 135/tcp, 137-138/udp, 139/tcp and 445/tcp"
    };
}
pub(super) use perimeter_block;

/// Windows: signing required by the SMB server (SMB1 and SMB2/3).
macro_rules! windows_require_signing {
    () => {
        "Set-SmbServerConfiguration -RequireSecuritySignature $true -EnableSecuritySignature $true -Force\n\
         # Group Policy: Microsoft network server: Digitally sign communications (always) = Enabled"
    };
}
pub(super) use windows_require_signing;

/// Samba: signing required.
macro_rules! samba_require_signing {
    () => {
        "# smb.conf, [global]\n\
         server signing = mandatory"
    };
}
pub(super) use samba_require_signing;

/// Windows: SMB1 off (server side, then the feature removed).
macro_rules! windows_smb1_off {
    () => {
        "Set-SmbServerConfiguration -EnableSMB1Protocol $false -Force\n\
         Disable-WindowsOptionalFeature -Online -FeatureName SMB1Protocol\n\
         # Windows Server: Uninstall-WindowsFeature -Name FS-SMB1"
    };
}
pub(super) use windows_smb1_off;

/// Samba: SMB1 off.
macro_rules! samba_smb1_off {
    () => {
        "# smb.conf, [global]\n\
         server min protocol = SMB2_10"
    };
}
pub(super) use samba_smb1_off;

/// Windows: no anonymous access (null sessions, anonymous enumeration, guest).
macro_rules! windows_no_anonymous {
    () => {
        "Set-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa' -Name RestrictAnonymous -Type DWord -Value 1\n\
         Set-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa' -Name RestrictAnonymousSAM -Type DWord -Value 1\n\
         Set-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Control\\Lsa' -Name EveryoneIncludesAnonymous -Type DWord -Value 0\n\
         Set-ItemProperty -Path 'HKLM:\\SYSTEM\\CurrentControlSet\\Services\\LanmanServer\\Parameters' -Name RestrictNullSessAccess -Type DWord -Value 1\n\
         Disable-LocalUser -Name Guest"
    };
}
pub(super) use windows_no_anonymous;

/// Samba: no anonymous or guest access.
macro_rules! samba_no_anonymous {
    () => {
        "# smb.conf, [global]\n\
         restrict anonymous = 2\n\
         map to guest = never\n\
         # and in every share section\n\
         guest ok = no"
    };
}
pub(super) use samba_no_anonymous;

/// Windows: take the open groups off a share (the share name is the reader's to fill in).
macro_rules! windows_revoke_open_share_access {
    () => {
        "Revoke-SmbShareAccess -Name '<share>' -AccountName 'Everyone' -Force\n\
         Revoke-SmbShareAccess -Name '<share>' -AccountName 'ANONYMOUS LOGON' -Force\n\
         Revoke-SmbShareAccess -Name '<share>' -AccountName 'Guest' -Force"
    };
}
pub(super) use windows_revoke_open_share_access;

/// The fixes of every NetBIOS finding: NetBIOS off (plus the firewall on Windows), blocked
/// at the edge.
pub(super) const NETBIOS_OFF: &[(Platform, &str)] = &[
    (
        Platform::Windows,
        concat!(windows_netbios_off!(), "\n", windows_firewall!()),
    ),
    (Platform::Samba, samba_netbios_off!()),
    (Platform::Perimeter, perimeter_block!()),
];
