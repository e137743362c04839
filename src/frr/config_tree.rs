//! FRR configuration as a tree of lines: contexts (`router bgp 65000`) hold children.
//!
//! This is the shape `frr-reload.py` reasons in: two trees are compared line by line within the
//! same context, which yields minimal changes with `no ...` for removals.

/// One configuration line; a context when it has (or may have) children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigNode {
    pub line: String,
    pub children: Vec<ConfigNode>,
    /// The command that leaves this context (`exit`, `exit-address-family`); `None` for a leaf.
    pub exit: Option<&'static str>,
    /// The BGP neighbor the line is about, as the renderer knows it: the diff needs it, since
    /// removing a neighbor's `remote-as` line deletes the neighbor with all its lines.
    pub neighbor: Option<Neighbor>,
    /// An address family that exists only while it is configured (LDP's IPv6), removed with
    /// `no address-family ...` rather than by negating its lines.
    pub removable: bool,
}

/// A line's BGP neighbor, and whether the line is the one that defines it (`remote-as`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbor {
    pub peer: String,
    pub defines: bool,
}

impl ConfigNode {
    pub fn leaf(line: impl Into<String>) -> Self {
        ConfigNode {
            line: line.into(),
            children: Vec::new(),
            exit: None,
            neighbor: None,
            removable: false,
        }
    }

    /// A line about BGP neighbor `peer`; `defines` for the one that creates it.
    pub fn about_neighbor(mut self, peer: impl ToString, defines: bool) -> Self {
        self.neighbor = Some(Neighbor {
            peer: peer.to_string(),
            defines,
        });
        self
    }

    pub fn context(line: impl Into<String>, children: Vec<ConfigNode>) -> Self {
        let line = line.into();
        let exit = if line.starts_with("address-family") {
            "exit-address-family"
        } else {
            "exit"
        };
        ConfigNode {
            line,
            children,
            exit: Some(exit),
            neighbor: None,
            removable: false,
        }
    }

    /// See [`ConfigNode::removable`].
    pub fn removable(mut self) -> Self {
        self.removable = true;
        self
    }

    pub fn is_context(&self) -> bool {
        self.exit.is_some()
    }

    /// Contexts that stand for something that cannot be deleted (a kernel interface, an address
    /// family of an instance that stays): removing them means negating their children instead.
    pub fn is_persistent_context(&self, depth: usize) -> bool {
        (depth == 0 && self.line.starts_with("interface "))
            || (self.line.starts_with("address-family") && !self.removable)
    }

    /// The neighbor this line is about, if any.
    pub fn peer(&self) -> Option<&str> {
        self.neighbor.as_ref().map(|n| n.peer.as_str())
    }

    /// Whether this line defines a BGP neighbor (its `remote-as`).
    pub fn defines_neighbor(&self) -> bool {
        self.neighbor.as_ref().is_some_and(|n| n.defines)
    }

    /// The command that removes this line (`no X`, or `X` for a line that is itself a `no`).
    pub fn negation(&self) -> String {
        match self.line.strip_prefix("no ") {
            Some(rest) => rest.to_string(),
            None => format!("no {}", self.line),
        }
    }
}

/// Render nodes as vtysh input: contexts closed explicitly so the text works with `vtysh -f`,
/// indented one space per level like FRR's running-config.
pub fn to_vtysh_lines(nodes: &[ConfigNode]) -> Vec<String> {
    let mut out = Vec::new();
    push_lines(nodes, 0, &mut out);
    out
}

fn push_lines(nodes: &[ConfigNode], depth: usize, out: &mut Vec<String>) {
    let indent = " ".repeat(depth);
    for node in nodes {
        out.push(format!("{indent}{}", node.line));
        if let Some(exit) = node.exit {
            push_lines(&node.children, depth + 1, out);
            out.push(format!("{indent}{exit}"));
        }
    }
}
