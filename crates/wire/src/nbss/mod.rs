//! NetBIOS session service (RFC 1002 §4.3) and the direct-TCP framing of SMB on 445.

mod frame;
mod session;

pub use frame::{
    DIRECT_MAX_LEN, Deframer, FRAME_HEADER_LEN, Frame, FrameHeader, NBSS_MAX_LEN, PacketType,
    Transport, decode_frame, encode_frame,
};
pub use session::{NegativeCode, SessionPacket, SessionRequest};
