//! The REPL's meta-commands (`:help`, `:plan`, ...) as data: their names, arguments and help
//! lines, which `:help`, completion and the dispatcher (meta.rs) all read.

pub struct MetaCommand {
    pub name: &'static str,
    pub args: &'static str,
    pub help: &'static str,
}

pub const COMMANDS: &[MetaCommand] = &[
    MetaCommand {
        name: ":help",
        args: "",
        help: "this text",
    },
    MetaCommand {
        name: ":load",
        args: "FILE",
        help: "run a .rhai script in this session (its variables and functions stay)",
    },
    MetaCommand {
        name: ":plan",
        args: "[ROUTER]",
        help: "what applying would send (desired vs deployed), without sending it",
    },
    MetaCommand {
        name: ":apply",
        args: "",
        help: "send pending changes to the lab",
    },
    MetaCommand {
        name: ":discard",
        args: "",
        help: "drop pending changes (the intent goes back to what is deployed)",
    },
    MetaCommand {
        name: ":auto",
        args: "on|off",
        help: "apply after every line (on, the default) or only on :apply",
    },
    MetaCommand {
        name: ":show",
        args: "ROUTER CMD...",
        help: "vtysh `show CMD` on a router, e.g. `:show PR ip route`",
    },
    MetaCommand {
        name: ":status",
        args: "",
        help: "routers, roles and what is configured on each",
    },
    MetaCommand {
        name: ":graph",
        args: "",
        help: "the topology: routers, links, interfaces and subnets",
    },
    MetaCommand {
        name: ":verbose",
        args: "on|off",
        help: "print every vtysh and kernel line sent (always on with --plan)",
    },
    MetaCommand {
        name: ":step",
        args: "FILE",
        help: "run a script step by step: each step's plan, then run / skip / stop",
    },
    MetaCommand {
        name: ":snapshot",
        args: "NAME",
        help: "record the lab's routes, labels and neighbors under NAME",
    },
    MetaCommand {
        name: ":diff",
        args: "[A] [B]",
        help: "what changed from snapshot A (default: the last) to B (default: now)",
    },
    MetaCommand {
        name: ":undo",
        args: "",
        help: "go back to the configuration before the last applied change",
    },
    MetaCommand {
        name: ":quit",
        args: "",
        help: "leave (as Ctrl-D); asks whether to keep a running lab",
    },
];
