#!/usr/bin/env python3
"""Known answers for the NTLM MIC and the SPNEGO mechListMIC, computed by impacket.

SOURCES: impacket 0.13.1 (PyPI, `pip install impacket==0.13.1`, Apache-1.1-style licence),
impacket/ntlm.py: NTOWFv2, hmac_md5, generateEncryptedSessionKey, SIGNKEY, SEALKEY, SIGN,
NTLMAuthChallengeResponse.

Usage:
  ntlm_mic_impacket.py challenge          > writes the CHALLENGE_MESSAGE hex (the input)
  ntlm_mic_impacket.py answers FILE       reads negotiate/challenge/authenticate_zeroed_mic
                                          from FILE (key = hex lines) and prints impacket's
                                          ntproofstr, exported_session_key, mic, mech_list_mic
"""
import struct
import sys

from Cryptodome.Cipher import ARC4
from impacket import ntlm

USER, PASSWORD, DOMAIN = "labuser", "LabPass1!", "LAB"
SERVER_CHALLENGE = bytes.fromhex("0123456789abcdef")
# DER MechTypeList { 1.3.6.1.4.1.311.2.2.10 } (what the SPNEGO mechListMIC covers).
MECH_TYPES = bytes.fromhex("300c060a2b06010401823702020a")


def av(av_id, value):
    return struct.pack("<HH", av_id, len(value)) + value


def challenge():
    target_name = "LABWG".encode("utf-16le")
    info = (
        av(2, "LABWG".encode("utf-16le"))
        + av(1, "SRV".encode("utf-16le"))
        + av(3, "srv.lab.test".encode("utf-16le"))
        + av(7, struct.pack("<Q", 133_485_408_000_000_000))
        + av(0, b"")
    )
    flags = 0xE28A8215  # UNICODE..128|KEY_EXCH|56, TARGET_INFO, VERSION, SIGN, EXTENDED
    head = 56
    msg = b"NTLMSSP\0" + struct.pack("<I", 2)
    msg += struct.pack("<HHI", len(target_name), len(target_name), head)
    msg += struct.pack("<I", flags) + SERVER_CHALLENGE + b"\0" * 8
    msg += struct.pack("<HHI", len(info), len(info), head + len(target_name))
    msg += bytes.fromhex("0601b11d0000000f")
    return msg + target_name + info


def answers(path):
    values = dict(
        line.split(" = ", 1) for line in open(path).read().splitlines() if " = " in line
    )
    negotiate = bytes.fromhex(values["negotiate"])
    chal = bytes.fromhex(values["challenge"])
    auth_bytes = bytes.fromhex(values["authenticate_zeroed_mic"])
    auth = ntlm.NTLMAuthChallengeResponse()
    auth.fromString(auth_bytes)
    nt_response = auth["ntlm"]
    flags = auth["flags"]
    key_nt = ntlm.NTOWFv2(USER, PASSWORD, DOMAIN)
    proof = ntlm.hmac_md5(key_nt, SERVER_CHALLENGE + nt_response[16:])
    base = ntlm.hmac_md5(key_nt, proof)
    exported = ntlm.generateEncryptedSessionKey(base, auth["session_key"])  # RC4 both ways
    mic = ntlm.hmac_md5(exported, negotiate + chal + auth_bytes)
    sign_key = ntlm.SIGNKEY(flags, exported)
    seal = ARC4.new(ntlm.SEALKEY(flags, exported))
    sig = ntlm.SIGN(flags, sign_key, MECH_TYPES, 0, seal.encrypt)
    print("impacket_ntproofstr =", proof.hex())
    print("impacket_ntproofstr_matches_ours =", str(proof == nt_response[:16]).lower())
    print("impacket_exported_session_key =", exported.hex())
    print("impacket_mic =", mic.hex())
    print("impacket_mech_list_mic =", sig.getData().hex())


if __name__ == "__main__":
    if sys.argv[1] == "challenge":
        print("challenge =", challenge().hex())
    else:
        answers(sys.argv[2])
