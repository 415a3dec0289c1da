//! What the audit says on machines it cannot read yet.

/// Windows: the PowerShell commands that show the facts the Linux audit reads. Not code:
/// smbaudit's readers are Linux-only, and nothing here claims to audit Windows.
pub const WINDOWS: &str = "\
smbaudit audit reads Linux interfaces, sockets, smb.conf and nftables/iptables; on Windows it
cannot read them yet. These PowerShell commands (as Administrator) show the same facts:

  Get-SmbServerConfiguration | Select EnableSMB1Protocol, RequireSecuritySignature, RejectUnencryptedAccess
  Get-NetTCPConnection -State Listen -LocalPort 135,139,445
  Get-NetUDPEndpoint -LocalPort 137,138
  Get-ChildItem HKLM:\\SYSTEM\\CurrentControlSet\\Services\\NetBT\\Parameters\\Interfaces |
      ForEach-Object { '{0} NetbiosOptions={1}' -f $_.PSChildName, (Get-ItemProperty $_.PSPath).NetbiosOptions }
      # 0 = from DHCP, 1 = on, 2 = off; match the Tcpip_{GUID} to Get-NetAdapter's InterfaceGuid
  Get-NetFirewallRule -Enabled True -Direction Inbound -Action Allow |
      Get-NetFirewallPortFilter | Where-Object LocalPort -In 135,137,138,139,445
  Get-NetConnectionProfile   # which adapters are Public (outside) or Private/Domain

A remote `smbaudit scan` of this machine's addresses from another machine on each network
shows the same exposure from the attacker's side.";
