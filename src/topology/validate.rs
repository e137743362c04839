//! AST -> model: every rule the grammar leaves open, each violation reported at its text.
//!
//! Lowering runs in passes (header, routers, segments, interface names, addresses) and keeps
//! going after an error, so that one run shows every problem. A pass skips only what an earlier
//! error made meaningless: an end on an unknown router has no interface to name, and a host
//! part has nothing to expand against when its segment's subnet is unreadable.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use ipnet::{Ipv4Net, Ipv6Net};

use super::ast::{self, AddressKind, Span, Statement};
use super::domain::{self, Conflict, Domain, Domains, EndInput};

mod ipv6;
mod l2vpn;
mod routers;
mod segments;
use super::model::{self, Role, SegmentKind};
use super::names::{kind_noun, name_problem, NameKind};
use crate::diagnostic::{Source, SourceError, SourceErrors};

/// Validate a parsed file and lower it to the lab model, reporting every error found.
pub fn lower(source: &Source, file: &ast::File) -> Result<model::Lab, SourceErrors> {
    let mut cx = Lowering {
        source,
        errors: Vec::new(),
    };
    let name = cx.lab_name(file);
    cx.image_twice_on_a_router_line(file);
    let default_image = cx.default_image(file);
    let routers = cx.routers(file);
    let mut segments = cx.segments(file, &routers);
    cx.name_interfaces(&routers, &mut segments);
    cx.check_vrfs_against_interfaces(&routers, &segments);
    let domains = cx.domains(&routers, &segments);
    cx.check_attachment_circuits(&routers, &segments, &domains);
    cx.check_overlaps(&segments, &domains);
    cx.check_overlaps6(&segments, &domains);
    cx.check_unique_addresses(&routers, &segments, &domains);
    cx.check_unique_addresses6(&routers, &segments, &domains);
    cx.finish(name, default_image, &routers, &segments)
}

/// Each `engine N` of `file` names one of `engines` engines (`--engines`): known only when the
/// lab is planned or run over them, so checked apart from [`lower`], at the number.
pub fn engines_within(
    source: &Source,
    file: &ast::File,
    engines: usize,
) -> Result<(), SourceErrors> {
    let errors: Vec<SourceError> = file
        .statements
        .iter()
        .filter_map(|s| match s {
            ast::Statement::Router(decl) => decl.engine.as_ref().map(|e| (decl, e)),
            _ => None,
        })
        .filter(|(_, e)| e.text.parse::<usize>().is_ok_and(|n| n > engines))
        .map(|(decl, e)| {
            SourceError::new(
                source,
                e.span.clone(),
                format!(
                    "router {} runs on engine {}, but the lab is spread over {engines} engines",
                    decl.name.text, e.text
                ),
            )
            .with_help(format!(
                "`--engines` lists engines 1 to {engines}: write one of those, or give another engine"
            ))
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(SourceErrors(errors))
    }
}

/// Linux's IFNAMSIZ (16) minus the terminating NUL.
const MAX_INTERFACE_NAME: usize = 15;
const ROLES: [&str; 4] = ["p", "pe", "ce", "rr"];

struct RouterDraft<'f> {
    decl: &'f ast::RouterDecl,
    role: Option<Role>,
    loopback: Option<Ipv4Net>,
    loopback6: Option<Ipv6Net>,
    router_id: Option<Ipv4Addr>,
    image: Option<String>,
    asn: Option<u32>,
    engine: Option<u32>,
}

struct Routers<'f> {
    drafts: Vec<RouterDraft<'f>>,
    /// First declaration of each name; a later duplicate is reported and never referenced.
    by_name: HashMap<&'f str, usize>,
}

struct SegmentDraft<'f> {
    decl: &'f ast::SegmentDecl,
    subnet: Option<Ipv4Net>,
    subnet6: Option<Ipv6Net>,
    ends: Vec<EndDraft<'f>>,
}

struct EndDraft<'f> {
    end: &'f ast::End,
    /// Index into `Routers::drafts`.
    router: Option<usize>,
    address: Option<Ipv4Addr>,
    address6: Option<Ipv6Addr>,
    /// Explicit or allocated; filled by `name_interfaces`.
    interface: Option<String>,
}

struct Lowering<'s> {
    source: &'s Source,
    errors: Vec<SourceError>,
}

impl<'s> Lowering<'s> {
    fn error(&self, span: &Span, message: impl Into<String>) -> SourceError {
        SourceError::new(self.source, span.clone(), message)
    }

    fn push(&mut self, error: SourceError) {
        self.errors.push(error);
    }

    fn line(&self, span: &Span) -> usize {
        self.source.line_col(span.start).0
    }

    // -----------------------------------------------------------------------------------------
    // Header: `lab` and the lab's default `image`

    fn lab_name(&mut self, file: &ast::File) -> Option<String> {
        let labs: Vec<&ast::LabDecl> = file.statements.iter().filter_map(as_lab).collect();
        let Some(first) = labs.first() else {
            let span = file.statements.first().map_or(0..0, |s| s.span().clone());
            let e = self.error(
                &span,
                "missing `lab` line: a topology file starts with `lab NAME`",
            );
            self.push(e.with_help("add a line like `lab mpls_vpn` at the top of the file"));
            return None;
        };
        if !matches!(file.statements.first(), Some(Statement::Lab(_))) {
            let e = self.error(&first.span, "`lab` must come before any other statement");
            self.push(e.with_help("move this line to the top of the file"));
        }
        for extra in &labs[1..] {
            let message = format!(
                "duplicate `lab` line: the lab is already named `{}` on line {}",
                first.name.text,
                self.line(&first.span)
            );
            self.push(self.error(&extra.span, message));
        }
        self.check_name(NameKind::Lab, &first.name);
        Some(first.name.text.clone())
    }

    /// Layout is free-form, so `router A p image "x" image "y"` reads as router A with image
    /// `x`, then the lab's default image `y`: a second image on the router's line is taken
    /// for a slip rather than a lab default.
    fn image_twice_on_a_router_line(&mut self, file: &ast::File) {
        for pair in file.statements.windows(2) {
            let (Statement::Router(r), Statement::Image(image)) = (&pair[0], &pair[1]) else {
                continue;
            };
            if r.image.is_none() || self.line(&image.span) != self.line(&r.span) {
                continue;
            }
            let message = format!(
                "a second `image` on the line of router `{}`, which has one already",
                r.name.text
            );
            let e = self.error(&image.span, message).with_help(
                "a router takes one `image \"...\"` at the end of its line; the lab's default \
                 `image` goes on a line of its own, right after `lab`",
            );
            self.push(e);
        }
    }

    fn default_image(&mut self, file: &ast::File) -> Option<String> {
        let images: Vec<&ast::ImageDecl> = file.statements.iter().filter_map(as_image).collect();
        let first = images.first()?;
        for extra in &images[1..] {
            let message = format!(
                "duplicate lab `image`: the default image is already set on line {}",
                self.line(&first.span)
            );
            let e = self.error(&extra.span, message);
            self.push(e.with_help(
                "to give one router its own image, end its `router` line with `image \"...\"`",
            ));
        }
        self.image(&first.image)
    }

    fn image(&mut self, image: &ast::StringLit) -> Option<String> {
        let value = &image.value;
        let problem = if value.trim().is_empty() {
            "empty image name".to_string()
        } else if value.chars().any(char::is_whitespace) {
            format!("invalid image `{value}`: an image reference contains no whitespace")
        } else if let Some(c) = value.chars().find(|c| c.is_control()) {
            // A NUL or an escape would reach Docker (or the terminal) as written.
            format!(
                "invalid image `{}`: control character {c:?} is not allowed",
                value.escape_debug()
            )
        } else {
            return Some(value.clone());
        };
        let e = self.error(&image.span, problem);
        self.push(e.with_help("write a reference like \"frrouting/frr:v8.4.1\""));
        None
    }

    // -----------------------------------------------------------------------------------------
    // Names

    fn check_name(&mut self, kind: NameKind, name: &ast::Word) {
        if let Some((problem, help)) = name_problem(kind, &name.text) {
            let message = format!("invalid {} name `{}`: {problem}", kind.noun(), name.text);
            self.push(self.error(&name.span, message).with_help(help));
        }
    }

    /// Interface names end up as Linux netdev names inside the container.
    fn check_interface_name(&mut self, iface: &ast::Word) {
        let name = iface.text.as_str();
        let (message, help) = if name == "lo" {
            (
                "interface name `lo` is reserved for the loopback".to_string(),
                "set the loopback address with `lo PREFIX` on the router line".to_string(),
            )
        } else if name.is_empty() || name == "." || name == ".." {
            (
                format!("invalid interface name `{name}`"),
                "Linux rejects `.` and `..` as interface names; use a name like eth0".to_string(),
            )
        } else if let Some(c) = name
            .chars()
            .find(|c| matches!(c, '/' | ':') || c.is_whitespace())
        {
            (
                format!("invalid interface name `{name}`: `{c}` is not allowed"),
                "Linux interface names cannot contain `/`, `:` or whitespace".to_string(),
            )
        } else if name.len() > MAX_INTERFACE_NAME {
            (
                format!("interface name `{name}` is too long: {} bytes", name.len()),
                format!("Linux allows at most {MAX_INTERFACE_NAME} bytes"),
            )
        } else {
            return;
        };
        self.push(self.error(&iface.span, message).with_help(help));
    }

    // -----------------------------------------------------------------------------------------
    // Addresses and prefixes

    /// `ADDRESS/LENGTH` with any host bits (a loopback keeps them; `subnet` rejects them).
    fn prefix(&mut self, prefix: &ast::Prefix) -> Option<Ipv4Net> {
        let address = self.ipv4(&prefix.address.text, &prefix.address.span);
        let length = self.prefix_length(&prefix.length);
        Ipv4Net::new(address?, length?).ok()
    }

    /// Whether an interface may have `addr` (a loopback, an end's address); if not, why.
    pub(super) fn not_martian(&mut self, addr: std::net::IpAddr, span: &Span) -> bool {
        let Some(why) = super::martian::martian(addr) else {
            return true;
        };
        let e = self.error(span, format!("`{addr}` is {why}: no interface can have it"));
        self.push(e.with_help(super::martian::HELP));
        false
    }

    fn ipv4(&mut self, text: &str, span: &Span) -> Option<Ipv4Addr> {
        if let Ok(address) = text.parse() {
            return Some(address);
        }
        let e = self.error(span, format!("invalid IPv4 address `{text}`"));
        self.push(e.with_help("write four numbers from 0 to 255 separated by dots, like 10.1.1.2"));
        None
    }

    fn prefix_length(&mut self, length: &ast::Word) -> Option<u8> {
        let parsed = length.text.parse::<u8>().ok().filter(|l| *l <= 32);
        if parsed.is_none() {
            let message = format!(
                "invalid prefix length `{}`: it must be 0 to 32",
                length.text
            );
            self.push(self.error(&length.span, message));
        }
        parsed
    }

    /// The low octets a host part like `.0.254` gives, at most three of them.
    fn host_part(&mut self, address: &ast::Address) -> Option<Vec<u8>> {
        let text = &address.text;
        let parts: Vec<&str> = text.strip_prefix('.').unwrap_or(text).split('.').collect();
        let problem = if parts.len() > 3 {
            format!(
                "host part `{text}` has {} numbers: a shorthand gives at most the 3 low octets",
                parts.len()
            )
        } else if let Some(octets) = parts.iter().map(|p| octet(p)).collect::<Option<Vec<u8>>>() {
            return Some(octets);
        } else {
            format!("invalid host part `{text}`")
        };
        let e = self.error(&address.span, problem);
        self.push(e.with_help("write a full address, or 1 to 3 numbers from 0 to 255 after a dot, like .254 or .0.254"));
        None
    }

    // -----------------------------------------------------------------------------------------
    // Interfaces

    /// Explicit names first, then `ethN` for the others in declaration order. Explicit names are
    /// all collected before any is allocated so that an automatic name never collides with an
    /// explicit one declared later in the file.
    fn name_interfaces(&mut self, routers: &Routers<'_>, segments: &mut [SegmentDraft<'_>]) {
        let mut taken: Vec<HashMap<String, (String, Span)>> =
            vec![HashMap::new(); routers.drafts.len()];
        for segment in segments.iter_mut() {
            let segment_name = &segment.decl.name.text;
            for end in &mut segment.ends {
                let (Some(router), Some(iface)) = (end.router, &end.end.interface) else {
                    continue;
                };
                let Some(names) = taken.get_mut(router) else {
                    continue;
                };
                if let Some((first_segment, first_span)) = names.get(&iface.text) {
                    let message = format!(
                        "interface `{}:{}` is already attached to `{first_segment}` on line {}",
                        end.end.router.text,
                        iface.text,
                        self.line(first_span)
                    );
                    self.push(self.error(&end.end.reference, message));
                } else {
                    names.insert(
                        iface.text.clone(),
                        (segment_name.clone(), end.end.reference.clone()),
                    );
                }
                end.interface = Some(iface.text.clone());
            }
        }
        // Each router's lowest free `ethN` only grows as names are taken, so the search
        // resumes where it stopped: linear in the interfaces, not quadratic.
        let mut next_free = vec![0u64; routers.drafts.len()];
        for segment in segments.iter_mut() {
            for end in &mut segment.ends {
                let Some(router) = end.router else {
                    continue;
                };
                let (Some(names), Some(next)) = (taken.get_mut(router), next_free.get_mut(router))
                else {
                    continue;
                };
                if end.end.interface.is_none() {
                    let name = lowest_free_eth(names, next);
                    names.insert(
                        name.clone(),
                        (segment.decl.name.text.clone(), end.end.reference.clone()),
                    );
                    end.interface = Some(name);
                }
            }
        }
    }

    /// A `vrf NAME` marker may not take the name of an interface of its router (the VRF is a
    /// device too), as the script API's `vrf()` refuses; only known once every interface has
    /// its name.
    fn check_vrfs_against_interfaces(
        &mut self,
        routers: &Routers<'_>,
        segments: &[SegmentDraft<'_>],
    ) {
        let mut interfaces: Vec<Vec<&str>> = vec![vec!["lo"]; routers.drafts.len()];
        for end in segments.iter().flat_map(|s| &s.ends) {
            if let (Some(r), Some(name)) = (end.router, &end.interface) {
                interfaces[r].push(name);
            }
        }
        for end in segments.iter().flat_map(|s| &s.ends) {
            let (Some(r), Some(vrf)) = (end.router, &end.end.vrf) else {
                continue;
            };
            if !interfaces[r].contains(&vrf.text.as_str()) {
                continue;
            }
            if let Some((message, help)) = super::names::vrf_name_problem(&vrf.text, &interfaces[r])
            {
                let e = self.error(&vrf.span, message).with_help(help);
                self.push(e);
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Addresses across the lab

    /// Each address once in the whole lab, loopbacks included; the later use is the error.
    fn check_unique_addresses(
        &mut self,
        routers: &Routers<'_>,
        segments: &[SegmentDraft<'_>],
        domains: &Domains,
    ) {
        let mut uses: Vec<((&Domain, Ipv4Addr), &Span, String)> = Vec::new();
        for (i, draft) in routers.drafts.iter().enumerate() {
            if let (Some(lo), Some(written)) = (draft.loopback, &draft.decl.loopback) {
                uses.push((
                    (&domains.routers[i], lo.addr()),
                    &written.address.span,
                    format!("the loopback of `{}`", draft.decl.name.text),
                ));
            }
        }
        for (i, s) in segments.iter().enumerate() {
            for end in &s.ends {
                if let (Some(address), Some(written)) = (end.address, &end.end.address) {
                    let key = (&domains.segments[i], address);
                    uses.push((key, &written.span, end_owner(end)));
                }
            }
        }
        uses.sort_by_key(|(_, span, _)| span.start);
        let mut first_use: HashMap<(&Domain, Ipv4Addr), (String, &Span)> = HashMap::new();
        for (key, span, owner) in uses {
            let address = key.1;
            if let Some((first_owner, first_span)) = first_use.get(&key) {
                let message = format!(
                    "address {address} is already used by {first_owner} on line {}",
                    self.line(first_span)
                );
                self.push(self.error(span, message));
            } else {
                first_use.insert(key, (owner, span));
            }
        }
    }

    // -----------------------------------------------------------------------------------------
    // Result

    fn finish(
        mut self,
        name: Option<String>,
        default_image: Option<String>,
        routers: &Routers<'_>,
        segments: &[SegmentDraft<'_>],
    ) -> Result<model::Lab, SourceErrors> {
        if !self.errors.is_empty() {
            // File order reads best, whatever pass found each error.
            self.errors.sort_by_key(|e| e.span.start);
            return Err(SourceErrors(self.errors));
        }
        name.and_then(|name| build(name, default_image, routers, segments))
            .ok_or_else(|| {
                let e = self.error(
                    &(0..0),
                    "internal error: a valid topology could not be lowered",
                );
                SourceErrors(vec![e.with_help(
                    "this is a bug in mplsrepl; please report it with the file that caused it",
                )])
            })
    }
}

/// The model, once no error was reported (so every draft field is filled).
fn build(
    name: String,
    default_image: Option<String>,
    routers: &Routers<'_>,
    segments: &[SegmentDraft<'_>],
) -> Option<model::Lab> {
    let mut lab_routers = routers
        .drafts
        .iter()
        .map(|d| {
            Some(model::Router {
                name: d.decl.name.text.clone(),
                role: d.role?,
                loopback: d.loopback,
                loopback6: d.loopback6,
                router_id: d.router_id,
                image: d.image.clone().or_else(|| default_image.clone()),
                asn: d.asn,
                engine: d.engine,
                interfaces: Vec::new(),
            })
        })
        .collect::<Option<Vec<_>>>()?;
    let mut lab_segments = Vec::new();
    for segment in segments {
        let ipv6_only = segment.decl.written_subnet4().is_none();
        let subnet = if ipv6_only {
            None
        } else {
            Some(segment.subnet?)
        };
        let mut endpoints = Vec::new();
        for end in &segment.ends {
            let (router, interface) = (end.router?, end.interface.clone()?);
            let l2vpn = end.end.l2vpn.as_ref().map(|n| n.text.clone());
            // An attachment circuit's PE end is the one end without an address, and an
            // IPv6-only segment's ends have no IPv4 one.
            let address = match (&l2vpn, subnet) {
                (None, Some(_)) => Some(end.address?),
                _ => None,
            };
            let owner = lab_routers.get_mut(router)?;
            let address6 = match (end.address6, segment.subnet6) {
                (Some(a), Some(net)) => Some(Ipv6Net::new(a, net.prefix_len()).ok()?),
                _ => None,
            };
            owner.interfaces.push(model::Interface {
                name: interface.clone(),
                segment: segment.decl.name.text.clone(),
                address: match (address, subnet) {
                    (Some(a), Some(net)) => Some(Ipv4Net::new(a, net.prefix_len()).ok()?),
                    _ => None,
                },
                address6,
                vrf: end.end.vrf.as_ref().map(|v| v.text.clone()),
                l2vpn: l2vpn.clone(),
            });
            endpoints.push(model::Endpoint {
                router: owner.name.clone(),
                interface,
                address,
                address6: end.address6,
                vrf: end.end.vrf.as_ref().map(|v| v.text.clone()),
                l2vpn,
            });
        }
        lab_segments.push(model::Segment {
            name: segment.decl.name.text.clone(),
            kind: segment.decl.kind,
            subnet,
            subnet6: segment.subnet6,
            endpoints,
        });
    }
    Some(model::Lab::new(name, lab_routers, lab_segments))
}

fn as_lab(statement: &Statement) -> Option<&ast::LabDecl> {
    match statement {
        Statement::Lab(lab) => Some(lab),
        _ => None,
    }
}

fn as_image(statement: &Statement) -> Option<&ast::ImageDecl> {
    match statement {
        Statement::Image(image) => Some(image),
        _ => None,
    }
}

fn as_router(statement: &Statement) -> Option<&ast::RouterDecl> {
    match statement {
        Statement::Router(router) => Some(router),
        _ => None,
    }
}

fn as_segment(statement: &Statement) -> Option<&ast::SegmentDecl> {
    match statement {
        Statement::Segment(segment) => Some(segment),
        _ => None,
    }
}

/// One octet of a host part, in the same strict form `Ipv4Addr` parses (no leading zeros).
fn octet(text: &str) -> Option<u8> {
    if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    text.parse().ok()
}

fn with_low_octets(network: Ipv4Addr, low: &[u8]) -> Ipv4Addr {
    let mut octets = network.octets();
    for (slot, value) in octets.iter_mut().rev().zip(low.iter().rev()) {
        *slot = *value;
    }
    Ipv4Addr::from(octets)
}

/// Addresses an end may take; /31 and /32 have no network or broadcast address (RFC 3021).
fn host_range(subnet: Ipv4Net) -> (Ipv4Addr, Ipv4Addr) {
    let (network, broadcast) = (u32::from(subnet.network()), u32::from(subnet.broadcast()));
    if subnet.prefix_len() >= 31 {
        (network.into(), broadcast.into())
    } else {
        ((network + 1).into(), (broadcast - 1).into())
    }
}

/// The lowest `ethN` not taken, from `*from` on; `*from` is left just past it.
fn lowest_free_eth(taken: &HashMap<String, (String, Span)>, from: &mut u64) -> String {
    loop {
        let name = format!("eth{from}");
        *from += 1;
        if !taken.contains_key(&name) {
            return name;
        }
    }
}

fn end_owner(end: &EndDraft<'_>) -> String {
    match &end.interface {
        Some(iface) => format!("`{}:{iface}`", end.end.router.text),
        None => format!("`{}`", end.end.router.text),
    }
}

/// At most ten names, so that a help line stays a line.
fn short_list(names: &[&str]) -> String {
    const SHOWN: usize = 10;
    let mut list = names
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        list.push_str(", ...");
    }
    list
}

/// The candidate nearest to `word` (ignoring case), if near enough to be a likely typo.
fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    // Distances are quadratic; a word this long is no typo of a short name anyway.
    const LONGEST: usize = 64;
    let word: Vec<char> = word.to_lowercase().chars().collect();
    if word.len() > LONGEST {
        return None;
    }
    let limit = (word.len() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| c.chars().count() <= LONGEST)
        .map(|c| {
            (
                edit_distance(&word, &c.to_lowercase().chars().collect::<Vec<_>>()),
                c,
            )
        })
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, c)| c)
}

/// Levenshtein distance.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::domain::overlaps;

    fn net(text: &str) -> Ipv4Net {
        text.parse().unwrap()
    }

    #[test]
    fn host_parts_replace_the_low_octets() {
        let network: Ipv4Addr = "10.1.0.0".parse().unwrap();
        assert_eq!(
            with_low_octets(network, &[254]),
            Ipv4Addr::new(10, 1, 0, 254)
        );
        assert_eq!(
            with_low_octets(network, &[3, 254]),
            Ipv4Addr::new(10, 1, 3, 254)
        );
    }

    #[test]
    fn octets_are_strict() {
        assert_eq!(octet("0"), Some(0));
        assert_eq!(octet("255"), Some(255));
        assert_eq!(octet("256"), None);
        assert_eq!(octet("01"), None);
        assert_eq!(octet(""), None);
    }

    #[test]
    fn overlap_is_symmetric() {
        assert!(overlaps(net("10.1.0.0/16"), net("10.1.1.0/24")));
        assert!(overlaps(net("10.1.1.0/24"), net("10.1.0.0/16")));
        assert!(!overlaps(net("10.1.1.0/24"), net("10.1.2.0/24")));
    }

    #[test]
    fn suggestions_prefer_the_nearest_name() {
        assert_eq!(closest("PE3", ["PR", "PE1", "PE2"]), Some("PE1"));
        assert_eq!(closest("pe2", ["PR", "PE1", "PE2"]), Some("PE2"));
        assert_eq!(closest("CORE", ["PR", "PE1"]), None);
        assert_eq!(closest("PE", ROLES), Some("pe"));
    }

    #[test]
    fn allocation_skips_taken_names() {
        let mut taken = HashMap::new();
        taken.insert("eth0".to_string(), (String::new(), 0..0));
        taken.insert("eth2".to_string(), (String::new(), 0..0));
        let mut from = 0;
        assert_eq!(lowest_free_eth(&taken, &mut from), "eth1");
        assert_eq!(lowest_free_eth(&taken, &mut from), "eth3");
        assert_eq!(from, 4);
    }
}
