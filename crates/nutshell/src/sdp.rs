//! `localDescription` as browsers show it: the description set, plus the candidates
//! trickled since.

/// Adds every candidate of `candidates` missing from `sdp` to its first accepted media
/// section, and `a=end-of-candidates` when `complete` and absent.
pub(crate) fn merge_candidates(sdp: &str, candidates: &[String], complete: bool) -> String {
    let missing: Vec<&String> = candidates
        .iter()
        .filter(|c| !sdp.contains(&format!("a={}\r\n", c.trim())))
        .collect();
    let add_end = complete && !sdp.contains("a=end-of-candidates");
    if missing.is_empty() && !add_end {
        return sdp.to_owned();
    }
    let lines: Vec<&str> = sdp.split_terminator("\r\n").collect();
    // The first accepted section: from its m= line to the next m= line.
    let Some(start) = lines
        .iter()
        .position(|l| l.starts_with("m=") && l.split(' ').nth(1) != Some("0"))
    else {
        return sdp.to_owned();
    };
    let end = lines
        .iter()
        .skip(start + 1)
        .position(|l| l.starts_with("m="))
        .map_or(lines.len(), |i| start + 1 + i);
    let mut out = String::with_capacity(sdp.len() + 100 * missing.len());
    for (i, l) in lines.iter().enumerate() {
        if i == end {
            push_new(&mut out, &missing, add_end);
        }
        out.push_str(l);
        out.push_str("\r\n");
    }
    if end == lines.len() {
        push_new(&mut out, &missing, add_end);
    }
    out
}

fn push_new(out: &mut String, missing: &[&String], add_end: bool) {
    for c in missing {
        out.push_str("a=");
        out.push_str(c.trim());
        out.push_str("\r\n");
    }
    if add_end {
        out.push_str("a=end-of-candidates\r\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_to_first_accepted_section() {
        let sdp = "v=0\r\nm=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=candidate:1 1 udp 1 127.0.0.1 5 typ host\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:2\r\n";
        let c = vec![
            "candidate:1 1 udp 1 127.0.0.1 5 typ host".to_string(),
            "candidate:2 1 udp 1 10.0.0.1 6 typ srflx raddr 127.0.0.1 rport 5".to_string(),
        ];
        let out = merge_candidates(sdp, &c, true);
        assert_eq!(out.matches("candidate:1 ").count(), 1);
        let i2 = out.find("candidate:2").unwrap();
        assert!(i2 > out.find("a=mid:1").unwrap() && i2 < out.find("a=mid:2").unwrap());
        assert!(out.contains("a=end-of-candidates\r\nm=audio 9"));
        assert_eq!(merge_candidates(&out, &c, true), out);
    }

    #[test]
    fn last_section_and_nothing_to_do() {
        let sdp = "v=0\r\nm=audio 9 X 111\r\na=mid:0\r\n";
        assert_eq!(merge_candidates(sdp, &[], false), sdp);
        let out = merge_candidates(sdp, &[], true);
        assert!(out.ends_with("a=mid:0\r\na=end-of-candidates\r\n"));
        assert_eq!(
            merge_candidates("garbage", &["candidate:x".into()], true),
            "garbage"
        );
    }
}
