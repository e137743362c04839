//! The REPL in a real terminal: tmux gives the binary a pseudo-terminal, types into it and
//! reads the screen back, so completion, multi-line input, error rendering, Ctrl-D and
//! Ctrl-C are tested as a user meets them. The plan backend keeps Docker out of it.

mod common;

use std::path::PathBuf;

use common::tmux::{shell_quote, Tmux};

/// The `┬` underline of a rendered error starts under the first character of `spanned` in the
/// quoted source line.
fn underline_points_at(screen: &str, source_line: &str, spanned: &str) -> bool {
    let lines: Vec<&str> = screen.lines().collect();
    lines.windows(2).any(|pair| {
        let (code, marks) = (pair[0], pair[1]);
        let Some(code_at) = code.find(source_line) else {
            return false;
        };
        let Some(offset) = source_line.find(spanned) else {
            return false;
        };
        let want = code[..code_at + offset].chars().count();
        let got = marks.chars().position(|c| c == '─');
        got == Some(want) && marks.contains('┬')
    })
}

#[test]
fn repl_completes_reports_errors_runs_blocks_and_leaves() {
    if !Tmux::available() {
        eprintln!(
            "\n\n*** SKIPPED repl_completes_reports_errors_runs_blocks_and_leaves: tmux is not \
             installed (apt-get install tmux) ***\n\n"
        );
        return;
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = std::env::temp_dir().join(format!("mplsrepl-repl-test-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let history = tmp.join("history");
    let _ = std::fs::remove_file(&history);
    // The shell reports the exit status on the screen. Its trap keeps it waiting through
    // Ctrl-C (tmux 3.3 can leave a finished pane undead for a while, so `pane_dead` is no
    // good signal); the REPL itself starts with SIGINT at its default.
    let command = format!(
        "trap : INT; {} --plan --color never --history {}; echo \"[mplsrepl exited with status $?]\"",
        shell_quote(env!("CARGO_BIN_EXE_mplsrepl")),
        shell_quote(&history.display().to_string())
    );
    let t = Tmux::start(&root, &command);
    t.wait_text("mplsrepl[plan]> ");

    t.line(r#"topology("scripts/mpls_vpn.topo");"#);
    t.wait_text("mpls_vpn[plan]> ");

    // Tab lists the routers starting with P.
    t.type_text(r#"router("P"#);
    t.keys(&["Tab"]);
    t.wait_for("router candidates", |s| {
        s.lines()
            .any(|l| l.split_whitespace().collect::<Vec<_>>() == ["PE1", "PE2", "PR"])
    });
    // Ctrl-C at the prompt drops the line and keeps the REPL.
    let before = t.screen();
    t.keys(&["C-c"]);
    t.wait_new(&before, "mpls_vpn[plan]> ");

    // An error is shown against the typed line, underlined where it happened.
    t.line(r#"router("PE9");"#);
    t.wait_text("unknown router `PE9`");
    let screen = t.wait_text("╰──");
    assert!(
        underline_points_at(&screen, r#"router("PE9");"#, "router"),
        "no underline under `router`:\n{screen}"
    );
    assert!(!underline_points_at(&screen, r#"router("PE9");"#, "PE9"));

    // A block over three lines runs once it is closed, and the lab follows.
    t.line(r#"for r in ["PR"] {"#);
    t.line("  router(r).addresses();");
    let before = t.screen();
    assert!(!before.contains("ip address 9.9.9.9/32"), "{before}");
    t.line("}");
    t.wait_text("ip address 9.9.9.9/32");

    // Ctrl-C stops a running line and keeps the REPL (and the session) alive.
    t.line(r#"print("spinning"); let i = 0; loop { i += 1 }"#);
    t.wait_text("  spinning");
    t.keys(&["C-c"]);
    t.wait_text("interrupted at <repl>:1:");
    let before = t.screen();
    t.line("i > 0");
    t.wait_new(&before, "true");

    // With auto-apply off, `:plan` shows what would be sent.
    t.line(":auto off");
    t.wait_text("auto-apply is off");
    t.line(r#"router("PE1").addresses();"#);
    t.wait_text("pending changes on PE1");
    t.line(":plan");
    t.wait_text("ip address 1.1.1.1/32");

    // Ctrl-D leaves cleanly (a planned lab needs no keep/down question).
    t.wait_prompt("mpls_vpn[plan]> ");
    t.keys(&["C-d"]);
    t.wait_text("[mplsrepl exited with status 0]");

    let saved = std::fs::read_to_string(&history).expect("history was saved");
    assert!(
        saved.contains(r#"topology("scripts/mpls_vpn.topo");"#),
        "{saved}"
    );
    assert!(saved.contains("for r in"), "{saved}");
    let _ = std::fs::remove_dir_all(&tmp);
}
