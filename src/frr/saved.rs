//! A router's FRR configuration as a file, as containerlab's FRR kind saves it: FRR's own
//! `show running-config` written as a frr.conf, and a saved frr.conf read back as the lines
//! `vtysh -f` takes.

/// What vtysh prints before the configuration itself.
fn is_preamble(trimmed: &str) -> bool {
    trimmed.starts_with("Building configuration") || trimmed.starts_with("Current configuration")
}

/// `show running-config` as a frr.conf: without the two lines vtysh prints before it.
pub fn running_config(text: &str) -> String {
    let mut out: String = text
        .lines()
        .skip_while(|l| {
            let t = l.trim();
            t.is_empty() || is_preamble(t)
        })
        .map(|l| format!("{l}\n"))
        .collect();
    if out.is_empty() {
        out.push_str("end\n");
    }
    out
}

/// The lines of a `frr.conf` to feed to `vtysh -f`: without comments, `end`, and the lines
/// that only FRR's start reads (`frr version`, `frr defaults`), or that `show running-config`
/// prints before the configuration.
pub fn config_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| {
            let t = l.trim();
            !(t.is_empty()
                || t.starts_with('!')
                || t == "end"
                || t.starts_with("frr version")
                || t.starts_with("frr defaults")
                || is_preamble(t))
        })
        .map(|l| l.trim_end().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_config_loses_vtysh_preamble() {
        let text = "Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4\nhostname PE1\nend\n";
        assert_eq!(
            running_config(text),
            "!\nfrr version 8.4\nhostname PE1\nend\n"
        );
    }

    #[test]
    fn config_lines_drop_what_vtysh_f_does_not_take() {
        let text = "Building configuration...\n\nCurrent configuration:\n!\nfrr version 8.4.4\n\
                    frr defaults traditional\nhostname PE1\n!\nrouter bgp 65000\n neighbor 2.2.2.2 remote-as 65000\nexit\n!\nend\n";
        let lines = config_lines(text);
        assert_eq!(
            lines,
            [
                "hostname PE1",
                "router bgp 65000",
                " neighbor 2.2.2.2 remote-as 65000",
                "exit"
            ]
        );
    }
}
