//! An impaired link end: delay, jitter, loss and a rate limit on an interface's egress, as
//! Linux's netem queueing discipline applies them (`tc qdisc replace dev IF root netem ...`).
//!
//! Values are kept in integers (microseconds, thousandths of a percent, bits per second) so
//! that the intent stays comparable and the diff exact; they are read from the forms `tc`
//! itself takes (`20ms`, `1.5%`, `10mbit`) and written back the same way.

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Impairment {
    pub delay_us: Option<u64>,
    /// Needs a delay: netem varies the delay by up to this much.
    pub jitter_us: Option<u64>,
    /// Thousandths of a percent: 1% = 1000.
    pub loss_milli_pct: Option<u32>,
    pub rate_bps: Option<u64>,
}

/// The longest delay or jitter accepted: netem takes more, but a lab link of a minute is a
/// typo (`20s` for `20ms`).
const MAX_DELAY_US: u64 = 60_000_000;

impl Impairment {
    /// From the script's map (`#{ delay: "20ms", jitter: "5ms", loss: "1%", rate: "10mbit" }`):
    /// its keys as `(name, value)`; an error names the key and says what it takes.
    pub fn parse<'a>(
        entries: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Impairment, String> {
        let mut imp = Impairment::default();
        for (key, value) in entries {
            match key {
                "delay" => imp.delay_us = Some(duration_us(key, value)?),
                "jitter" => imp.jitter_us = Some(duration_us(key, value)?),
                "loss" => imp.loss_milli_pct = Some(loss(value)?),
                "rate" => imp.rate_bps = Some(rate(value)?),
                other => {
                    return Err(format!(
                        "unknown impairment `{other}`: expected delay, jitter, loss or rate"
                    ))
                }
            }
        }
        if imp.jitter_us.is_some() && imp.delay_us.is_none() {
            return Err("a jitter varies a delay: give `delay` too".to_string());
        }
        if imp == Impairment::default() {
            return Err(
                "an impairment needs at least one of delay, jitter, loss or rate".to_string(),
            );
        }
        Ok(imp)
    }

    /// `tc` arguments that set it on `iface`, replacing whatever was there.
    pub fn tc_argv(&self, iface: &str) -> Vec<String> {
        let mut argv: Vec<String> = ["tc", "qdisc", "replace", "dev", iface, "root", "netem"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if let Some(d) = self.delay_us {
            argv.extend(["delay".to_string(), show_duration(d)]);
            if let Some(j) = self.jitter_us {
                argv.push(show_duration(j));
            }
        }
        if let Some(l) = self.loss_milli_pct {
            argv.extend(["loss".to_string(), show_loss(l)]);
        }
        if let Some(r) = self.rate_bps {
            argv.extend(["rate".to_string(), show_rate(r)]);
        }
        argv
    }

    /// `tc` arguments that take it off `iface` again.
    pub fn clear_argv(iface: &str) -> Vec<String> {
        ["tc", "qdisc", "del", "dev", iface, "root"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    }

    /// In words, for `status` and the transcript: `delay 20ms 5ms, loss 1%`.
    pub fn describe(&self) -> String {
        let argv = self.tc_argv("-");
        argv[7..].join(" ")
    }
}

/// The impaired interfaces in `tc qdisc show`'s output, with what netem does on each, in tc's
/// words: `qdisc netem 8001: dev eth1 root refcnt 2 limit 1000 delay 20ms  5ms loss 1%` is
/// (`eth1`, `delay 20ms 5ms loss 1%`).
pub fn read_tc(output: &str) -> Vec<(String, String)> {
    output
        .lines()
        .filter(|l| l.starts_with("qdisc netem "))
        .filter_map(|l| {
            let words: Vec<&str> = l.split_whitespace().collect();
            let dev = words.iter().position(|w| *w == "dev")?;
            let iface = words.get(dev + 1)?.to_string();
            let from = words
                .iter()
                .position(|w| matches!(*w, "delay" | "loss" | "rate"))?;
            Some((iface, words[from..].join(" ")))
        })
        .collect()
}

fn duration_us(key: &str, text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (number, unit) = split_unit(t);
    let scale = match unit {
        "us" => 1.0,
        "ms" => 1_000.0,
        "s" => 1_000_000.0,
        _ => {
            return Err(format!(
                "{key} `{text}` is not a duration: write it like 20ms, 500us or 1s"
            ))
        }
    };
    let n: f64 = number.parse().map_err(|_| {
        format!("{key} `{text}` is not a duration: write it like 20ms, 500us or 1s")
    })?;
    let us = n * scale;
    if !(0.0..=MAX_DELAY_US as f64).contains(&us) {
        return Err(format!("{key} `{text}` is out of range: 0 to 60s"));
    }
    Ok(us.round() as u64)
}

fn loss(text: &str) -> Result<u32, String> {
    let t = text.trim();
    let bad = || format!("loss `{text}` is not a percentage: write it like 1% or 0.5%");
    let number = t.strip_suffix('%').ok_or_else(bad)?;
    let n: f64 = number.trim().parse().map_err(|_| bad())?;
    if !(0.0..=100.0).contains(&n) {
        return Err(format!("loss `{text}` is out of range: 0% to 100%"));
    }
    Ok((n * 1000.0).round() as u32)
}

fn rate(text: &str) -> Result<u64, String> {
    let t = text.trim().to_ascii_lowercase();
    let (number, unit) = split_unit(&t);
    let bad = || format!("rate `{text}` is not a rate: write it like 10mbit, 512kbit or 1gbit");
    let scale = match unit {
        "bit" => 1.0,
        "kbit" => 1e3,
        "mbit" => 1e6,
        "gbit" => 1e9,
        _ => return Err(bad()),
    };
    let n: f64 = number.parse().map_err(|_| bad())?;
    let bps = n * scale;
    if !(8.0..=100e9).contains(&bps) {
        return Err(format!("rate `{text}` is out of range: 8bit to 100gbit"));
    }
    Ok(bps.round() as u64)
}

/// `20ms` -> (`20`, `ms`).
fn split_unit(text: &str) -> (&str, &str) {
    let at = text
        .find(|c: char| c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    (text[..at].trim(), &text[at..])
}

fn show_duration(us: u64) -> String {
    if us.is_multiple_of(1000) {
        format!("{}ms", us / 1000)
    } else {
        format!("{us}us")
    }
}

fn show_loss(milli: u32) -> String {
    let whole = milli / 1000;
    match milli % 1000 {
        0 => format!("{whole}%"),
        frac => format!("{whole}.{}%", format!("{frac:03}").trim_end_matches('0')),
    }
}

fn show_rate(bps: u64) -> String {
    for (unit, scale) in [
        ("gbit", 1_000_000_000),
        ("mbit", 1_000_000),
        ("kbit", 1_000),
    ] {
        if bps.is_multiple_of(scale) {
            return format!("{}{unit}", bps / scale);
        }
    }
    format!("{bps}bit")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(pairs: &[(&str, &str)]) -> Result<Impairment, String> {
        Impairment::parse(pairs.iter().copied())
    }

    #[test]
    fn the_forms_tc_takes_are_read_and_written_back() {
        let imp = parse(&[
            ("delay", "20ms"),
            ("jitter", "500us"),
            ("loss", "0.25%"),
            ("rate", "10Mbit"),
        ])
        .unwrap();
        assert_eq!(
            imp.tc_argv("eth0").join(" "),
            "tc qdisc replace dev eth0 root netem delay 20ms 500us loss 0.25% rate 10mbit"
        );
        assert_eq!(imp.describe(), "delay 20ms 500us loss 0.25% rate 10mbit");
        assert_eq!(
            parse(&[("loss", "100%")]).unwrap().loss_milli_pct,
            Some(100_000)
        );
        assert_eq!(
            parse(&[("delay", "1.5s")]).unwrap().delay_us,
            Some(1_500_000)
        );
    }

    #[test]
    fn tc_says_which_interfaces_are_impaired() {
        let out = "qdisc noqueue 0: dev lo root refcnt 2\n\
                   qdisc netem 8001: dev eth1 root refcnt 2 limit 1000 delay 20ms  5ms loss 1%\n\
                   qdisc noqueue 0: dev eth0 root refcnt 2\n";
        assert_eq!(
            read_tc(out),
            [("eth1".to_string(), "delay 20ms 5ms loss 1%".to_string())]
        );
    }

    #[test]
    fn bad_values_say_what_they_take() {
        for (pairs, said) in [
            (
                &[("loss", "101%")][..],
                "loss `101%` is out of range: 0% to 100%",
            ),
            (&[("loss", "1")], "loss `1` is not a percentage"),
            (&[("delay", "20")], "delay `20` is not a duration"),
            (&[("delay", "fast")], "delay `fast` is not a duration"),
            (&[("delay", "2min")], "delay `2min` is not a duration"),
            (&[("delay", "90s")], "delay `90s` is out of range"),
            (&[("jitter", "5ms")], "a jitter varies a delay"),
            (&[("rate", "10mbps")], "rate `10mbps` is not a rate"),
            (&[("speed", "1")], "unknown impairment `speed`"),
            (&[], "an impairment needs at least one"),
        ] {
            let e = parse(pairs).unwrap_err();
            assert!(e.starts_with(said), "{pairs:?}: {e}");
        }
    }
}
