//! Kafka's framing over any byte stream: a request is `size | header | body` in one buffer, a
//! response is a 4-byte size and that many bytes read into a buffer of their own (so that decoded
//! `Bytes` fields, Fetch `records` above all, are slices of it, never copies). Generic over
//! `AsyncRead`, so it is tested over `tokio::io::duplex` without a socket.

use bytes::{BufMut, Bytes, BytesMut};
use kafka_protocol::messages::RequestHeader;
use kafka_protocol::protocol::Encodable;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Largest response frame accepted. Far above any sane `fetch.max.bytes`; a bigger size prefix means
/// we are not talking to a Kafka listener (for example a TLS listener answering a plaintext client).
pub(super) const MAX_FRAME_BYTES: usize = 512 * 1024 * 1024;

/// Size of the reader's buffer; frames at least this large are read straight into their own buffer.
pub(super) const READ_BUFFER: usize = 64 * 1024;

/// Why no frame could be read.
#[derive(Debug)]
pub(super) enum FrameError {
    /// The peer closed the stream between frames.
    Closed,
    /// The stream failed, or ended inside a frame.
    Io(std::io::Error),
    /// The size prefix cannot be a Kafka frame (negative or over [`MAX_FRAME_BYTES`]).
    NotKafka(i32),
}

/// Encodes `req` into `buf`, first growing `buf` to the body's exact size: a Produce request of
/// many MiB would otherwise be copied again at every doubling of the buffer, and the last
/// doubling would leave up to twice its size allocated.
pub(super) fn encode_presized<R: Encodable>(
    req: &R,
    version: i16,
    buf: &mut BytesMut,
) -> std::result::Result<(), String> {
    if let Ok(size) = req.compute_size(version) {
        buf.reserve(size);
    }
    req.encode(buf, version).map_err(|e| format!("{e:#}"))
}

/// Builds `size | header | body` in one buffer.
pub(super) fn encode_frame<F>(
    header: &RequestHeader,
    header_version: i16,
    encode_body: F,
) -> std::result::Result<Bytes, String>
where
    F: FnOnce(&mut BytesMut) -> std::result::Result<(), String>,
{
    let mut buf = BytesMut::with_capacity(256);
    buf.put_i32(0);
    header
        .encode(&mut buf, header_version)
        .map_err(|e| format!("request header: {e:#}"))?;
    encode_body(&mut buf)?;
    let size = i32::try_from(buf.len() - 4)
        .map_err(|_| format!("request of {} bytes is too large", buf.len() - 4))?;
    buf[0..4].copy_from_slice(&size.to_be_bytes());
    Ok(buf.freeze())
}

/// Reads one size-prefixed frame into its own buffer and freezes it.
pub(super) async fn read_frame<R: AsyncRead + Unpin>(rd: &mut R) -> Result<Bytes, FrameError> {
    let size = match rd.read_i32().await {
        Ok(n) => n,
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Err(FrameError::Closed),
        Err(e) => return Err(FrameError::Io(e)),
    };
    let len = usize::try_from(size)
        .ok()
        .filter(|&n| n <= MAX_FRAME_BYTES)
        .ok_or(FrameError::NotKafka(size))?;
    let mut buf = BytesMut::with_capacity(len);
    let mut limited = (&mut *rd).take(len as u64);
    while buf.len() < len {
        match limited.read_buf(&mut buf).await {
            Ok(0) => {
                return Err(FrameError::Io(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    format!("connection closed after {} of {len} frame bytes", buf.len()),
                )))
            }
            Ok(_) => {}
            Err(e) => return Err(FrameError::Io(e)),
        }
    }
    Ok(buf.freeze())
}

#[cfg(test)]
mod tests {
    use kafka_protocol::messages::ApiKey;
    use tokio::io::AsyncWriteExt;

    use super::*;

    fn frame(body: &[u8]) -> Vec<u8> {
        let mut v = (body.len() as i32).to_be_bytes().to_vec();
        v.extend_from_slice(body);
        v
    }

    /// Frames arrive whole whatever the stream's chunking, one buffer each.
    #[tokio::test]
    async fn frames_are_read_whole_across_short_writes() {
        let (mut client, mut server) = tokio::io::duplex(7);
        let writer = tokio::spawn(async move {
            let mut bytes = frame(b"first frame");
            bytes.extend(frame(b""));
            bytes.extend(frame(&[9u8; 1000]));
            for chunk in bytes.chunks(3) {
                server.write_all(chunk).await.unwrap();
            }
        });
        assert_eq!(&read_frame(&mut client).await.unwrap()[..], b"first frame");
        assert_eq!(read_frame(&mut client).await.unwrap().len(), 0);
        assert_eq!(
            &read_frame(&mut client).await.unwrap()[..],
            &[9u8; 1000][..]
        );
        writer.await.unwrap();
        assert!(matches!(
            read_frame(&mut client).await,
            Err(FrameError::Closed)
        ));
    }

    /// A stream that ends inside a frame is an I/O error, not a clean close; a size no Kafka
    /// listener sends (another protocol's bytes read as a size) is refused before anything is
    /// allocated.
    #[tokio::test]
    async fn truncated_and_impossible_frames_are_errors() {
        let (mut client, mut server) = tokio::io::duplex(64);
        server.write_all(&frame(b"abcdef")[..7]).await.unwrap();
        drop(server);
        match read_frame(&mut client).await {
            Err(FrameError::Io(e)) => {
                assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
                assert!(e.to_string().contains("after 3 of 6"), "{e}");
            }
            other => panic!("{other:?}"),
        }
        // An HTTP server's answer read as a size prefix.
        let (mut client, mut server) = tokio::io::duplex(64);
        server.write_all(b"HTTP/1.1 400").await.unwrap();
        assert!(matches!(
            read_frame(&mut client).await,
            Err(FrameError::NotKafka(0x4854_5450))
        ));
        let (mut client, mut server) = tokio::io::duplex(64);
        server.write_all(&(-1i32).to_be_bytes()).await.unwrap();
        assert!(matches!(
            read_frame(&mut client).await,
            Err(FrameError::NotKafka(-1))
        ));
    }

    /// The size prefix counts header and body, and the header is encoded at the version asked.
    #[test]
    fn request_frames_carry_their_size() {
        let header = RequestHeader::default()
            .with_request_api_key(ApiKey::Metadata as i16)
            .with_request_api_version(12)
            .with_correlation_id(7);
        let f = encode_frame(&header, 2, |buf| {
            buf.put_slice(b"body");
            Ok(())
        })
        .unwrap();
        let size = i32::from_be_bytes([f[0], f[1], f[2], f[3]]) as usize;
        assert_eq!(size, f.len() - 4);
        assert!(f.ends_with(b"body"));
        assert_eq!(&f[4..6], &(ApiKey::Metadata as i16).to_be_bytes());
        assert_eq!(&f[8..12], &7i32.to_be_bytes());
        let refused = encode_frame(&header, 2, |_| Err("no body".into())).unwrap_err();
        assert_eq!(refused, "no body");
    }
}
