//! A Backend.AI webserver in front of a real companion, for the extension's
//! way of signing in with a webserver (a tab that posts the WebUI's form
//! and lands on the endpoint's own origin): a loopback proxy that passes
//! every request to the companion as it is, except that `GET /func/`
//! answers without its `baigate` member, so the popup takes the endpoint
//! for a Backend.AI webserver. One request per connection.

use anyhow::{Context, Result, bail};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// The proxy; it stops when dropped.
#[derive(Debug)]
pub struct WebserverFront {
    /// Its address (`http://127.0.0.1:<port>`), known before the companion
    /// behind it starts, so the companion can be told to send tokens here.
    pub url: String,
    listener: Option<TcpListener>,
    server: Option<JoinHandle<()>>,
}

impl Drop for WebserverFront {
    fn drop(&mut self) {
        if let Some(server) = &self.server {
            server.abort();
        }
    }
}

impl WebserverFront {
    /// Takes a free loopback port.
    pub async fn bind() -> Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let url = format!("http://{}", listener.local_addr()?);
        Ok(Self {
            url,
            listener: Some(listener),
            server: None,
        })
    }

    /// Starts passing requests to `backend` (`http://host:port`).
    pub fn forward_to(&mut self, backend: &str) -> Result<()> {
        let listener = self.listener.take().context("already forwarding")?;
        let backend = backend
            .strip_prefix("http://")
            .context("an http:// backend")?
            .trim_end_matches('/')
            .to_owned();
        self.server = Some(tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let backend = backend.clone();
                tokio::spawn(async move {
                    let _ = relay(client, &backend).await;
                });
            }
        }));
        Ok(())
    }
}

/// Reads one request (head and `Content-Length` body).
async fn read_request(stream: &mut TcpStream) -> Result<(String, Vec<u8>)> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            bail!("the request ended early");
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length = header(&head, "content-length")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let read = stream.read(&mut chunk).await?;
        if read == 0 {
            bail!("the body ended early");
        }
        body.extend_from_slice(&chunk[..read]);
    }
    Ok((head, body))
}

fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.lines().skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim()
            .eq_ignore_ascii_case(name)
            .then_some(value.trim())
    })
}

/// The head with `Connection: close` in place of any connection header.
fn closing(head: &str) -> String {
    let mut lines: Vec<&str> = head
        .trim_end()
        .lines()
        .filter(|line| {
            !line
                .split(':')
                .next()
                .is_some_and(|key| key.trim().eq_ignore_ascii_case("connection"))
        })
        .collect();
    lines.push("Connection: close");
    format!("{}\r\n\r\n", lines.join("\r\n"))
}

async fn relay(mut client: TcpStream, backend: &str) -> Result<()> {
    let (head, body) = read_request(&mut client).await?;
    let request_line = head.lines().next().unwrap_or_default().to_owned();
    let mut upstream = TcpStream::connect(backend).await?;
    upstream.write_all(closing(&head).as_bytes()).await?;
    upstream.write_all(&body).await?;
    let mut answer = Vec::new();
    upstream.read_to_end(&mut answer).await?;
    let is_version = matches!(
        request_line.split_whitespace().take(2).collect::<Vec<_>>()[..],
        ["GET", "/func/" | "/func"]
    );
    if is_version {
        answer = without_baigate(&answer)?;
    }
    client.write_all(&answer).await?;
    client.shutdown().await?;
    Ok(())
}

/// A `GET /func/` answer without its `baigate` member.
fn without_baigate(answer: &[u8]) -> Result<Vec<u8>> {
    let at = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .context("an answer without a head")?;
    let head = String::from_utf8_lossy(&answer[..at]).into_owned();
    if header(&head, "transfer-encoding").is_some() {
        bail!("a chunked /func/ answer");
    }
    let mut version: Value = serde_json::from_slice(&answer[at + 4..])?;
    if let Some(object) = version.as_object_mut() {
        object.remove("baigate");
    }
    let body = serde_json::to_vec(&version)?;
    let head: Vec<String> = head
        .lines()
        .map(|line| match line.split_once(':') {
            Some((key, _)) if key.trim().eq_ignore_ascii_case("content-length") => {
                format!("content-length: {}", body.len())
            }
            _ => line.to_owned(),
        })
        .collect();
    let mut rewritten = format!("{}\r\n\r\n", head.join("\r\n")).into_bytes();
    rewritten.extend_from_slice(&body);
    Ok(rewritten)
}
