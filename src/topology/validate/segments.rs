//! The segments pass: each link or network, its subnet, its ends (router, address, VRF,
//! engine), the routing domains they make and the overlaps inside one domain.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use ipnet::{Ipv4Net, Ipv6Net};

use super::*;

impl<'s> Lowering<'s> {
    pub(super) fn segments<'f>(
        &mut self,
        file: &'f ast::File,
        routers: &Routers<'f>,
    ) -> Vec<SegmentDraft<'f>> {
        let mut drafts: Vec<SegmentDraft<'f>> = Vec::new();
        // Each name's first segment, by index in `drafts`.
        let mut named: HashMap<&'f str, usize> = HashMap::new();
        for decl in file.statements.iter().filter_map(as_segment) {
            self.check_name(NameKind::Segment(decl.kind), &decl.name);
            match named.get(decl.name.text.as_str()) {
                Some(&first) => self.report_duplicate_segment(decl, &drafts[first]),
                None => {
                    named.insert(&decl.name.text, drafts.len());
                }
            }
            let subnet = self.subnet(decl);
            let subnet6 = self.subnet6(decl);
            self.check_end_count(decl);
            let ends = self.ends(decl, subnet, subnet6, routers);
            drafts.push(SegmentDraft {
                decl,
                subnet,
                subnet6,
                ends,
            });
        }
        drafts
    }

    fn report_duplicate_segment(&mut self, decl: &ast::SegmentDecl, first: &SegmentDraft<'_>) {
        let message = format!(
            "duplicate segment name `{}`: already used by the {} on line {}",
            decl.name.text,
            kind_noun(first.decl.kind),
            self.line(&first.decl.span)
        );
        let e = self.error(&decl.name.span, message);
        self.push(
            e.with_help("links and networks share one namespace: each becomes a Docker network"),
        );
    }

    pub(super) fn subnet(&mut self, decl: &ast::SegmentDecl) -> Option<Ipv4Net> {
        self.one_ipv6_prefix(
            &decl.subnet,
            decl.subnet6.as_ref(),
            &format!("{} `{}`", kind_noun(decl.kind), decl.name.text),
        );
        let written = decl.written_subnet4()?;
        let net = self.prefix(written)?;
        if net.trunc() != net {
            let message = format!("subnet has host bits set: did you mean {}?", net.trunc());
            let e = self.error(&written.span, message);
            self.push(e.with_help("a segment's subnet is written with its network address"));
            return None;
        }
        Some(net)
    }

    /// The routing domain of every segment and router (topology::domain), with what makes
    /// them impossible reported.
    pub(super) fn domains(
        &mut self,
        routers: &Routers<'_>,
        segments: &[SegmentDraft<'_>],
    ) -> Domains {
        let is_ce: Vec<bool> = routers
            .drafts
            .iter()
            .map(|d| d.role == Some(Role::Ce))
            .collect();
        let inputs: Vec<Vec<EndInput<'_>>> = segments
            .iter()
            .map(|s| {
                s.ends
                    .iter()
                    .filter_map(|e| {
                        Some(EndInput {
                            router: e.router?,
                            vrf: e.end.vrf.as_ref().map(|v| v.text.as_str()),
                            l2vpn: e.end.l2vpn.as_ref().map(|n| n.text.as_str()),
                        })
                    })
                    .collect()
            })
            .collect();
        let domains = domain::assign(&is_ce, &inputs);
        for conflict in &domains.conflicts {
            match conflict {
                Conflict::SegmentInTwo {
                    segment,
                    first,
                    second,
                } => {
                    let s = &segments[*segment];
                    let known: Vec<&EndDraft<'_>> =
                        s.ends.iter().filter(|e| e.router.is_some()).collect();
                    let (a, b) = (known[*first].end, known[*second].end);
                    let marker = |e: &ast::End| match (&e.vrf, &e.l2vpn) {
                        (Some(v), _) => Some((format!("VRF {}", v.text), v.span.clone())),
                        (None, Some(n)) => Some((format!("L2VPN {}", n.text), n.span.clone())),
                        (None, None) => None,
                    };
                    let (Some((da, _)), Some((db, at))) = (marker(a), marker(b)) else {
                        continue;
                    };
                    let message = format!(
                        "`{}` would join {da} (at `{}`) and {db}",
                        s.decl.name.text, a.router.text
                    );
                    let e = self.error(&at, message).with_help(
                        "a segment is in one VRF or L2VPN: customers meet only through the VPN",
                    );
                    self.push(e);
                }
                Conflict::CeInTwo {
                    router,
                    first,
                    segment,
                } => {
                    let s = &segments[*segment];
                    let name = &routers.drafts[*router].decl.name.text;
                    let Some(end) = s.ends.iter().find(|e| e.router == Some(*router)) else {
                        continue;
                    };
                    let here = &domains.segments[*segment];
                    let message = format!(
                        "CE `{name}` is in {first}, and `{}` would put it in {here} too",
                        s.decl.name.text
                    );
                    let e = self.error(&end.end.reference, message).with_help(format!(
                        "a CE's addresses are in one table: put every PE end towards `{name}` \
                         in the same VRF (`vrf NAME` after the PE's address)"
                    ));
                    self.push(e);
                }
            }
        }
        domains
    }

    /// Subnets may repeat in different domains (two customers' plans), never inside one.
    pub(super) fn check_overlaps(&mut self, segments: &[SegmentDraft<'_>], domains: &Domains) {
        self.report_overlaps(
            segments,
            domains,
            |s| Some((s.subnet?, &s.decl.subnet.span)),
            |here| match here {
                Domain::L2vpn(_) => {
                    "each link or network is its own broadcast domain, and an L2VPN's \
                     attachment circuits one together: give a segment behind a CE a subnet \
                     of its own"
                }
                Domain::Provider => {
                    "each link or network is its own broadcast domain: give it a \
                     subnet of its own; customers that reuse each other's \
                     addresses go in VRFs (`vrf NAME` after the PE's address)"
                }
                Domain::Vrf(_) => {
                    "each link or network is its own broadcast domain: give it a \
                     subnet of its own within its VRF"
                }
            },
        );
    }

    /// Each segment whose subnet (of one family: `subnet`, with where it is written) overlaps
    /// an earlier one in its domain, reported there with `help`.
    pub(super) fn report_overlaps<N>(
        &mut self,
        segments: &[SegmentDraft<'_>],
        domains: &Domains,
        subnet: impl for<'a> Fn(&'a SegmentDraft<'_>) -> Option<(N, &'a Span)>,
        help: impl Fn(&Domain) -> &'static str,
    ) where
        N: Into<ipnet::IpNet> + Copy + std::fmt::Display,
    {
        // An L2VPN's attachment circuits share one subnet on purpose: the first stands for
        // them all, and check_attachment_circuits sees that the others repeat it.
        let mut circuits_seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let nets: Vec<_> = segments
            .iter()
            .zip(&domains.segments)
            .map(|(s, domain)| {
                let circuit_of = s.ends.iter().find_map(|e| e.end.l2vpn.as_ref());
                match circuit_of {
                    Some(name) if !circuits_seen.insert(name.text.as_str()) => None,
                    _ => subnet(s).map(|(net, _)| (net, domain)),
                }
            })
            .collect();
        for (i, first) in domain::first_overlaps(&nets).into_iter().enumerate() {
            let (Some(j), Some((net, written))) = (first, subnet(&segments[i])) else {
                continue;
            };
            let other = &segments[j];
            let (other_net, _) = subnet(other).expect("an overlap has a subnet");
            let here = &domains.segments[i];
            let within = match here {
                Domain::Provider => String::new(),
                vrf => format!(", both in {vrf}"),
            };
            let message = format!(
                "subnet {net} overlaps {other_net} of `{}` on line {}{within}",
                other.decl.name.text,
                self.line(&other.decl.span)
            );
            let e = self.error(written, message).with_help(help(here));
            self.push(e);
        }
    }

    pub(super) fn check_end_count(&mut self, decl: &ast::SegmentDecl) {
        let count = decl.ends.len();
        let error = match decl.kind {
            SegmentKind::Link if count == 2 => return,
            SegmentKind::Link => {
                let e = self.error(
                    &decl.ends_span,
                    format!("a link has exactly 2 ends, this one has {count}"),
                );
                if count > 2 {
                    e.with_help("use `network` for a segment with more than two ends")
                } else {
                    e
                }
            }
            SegmentKind::Network if count >= 2 => return,
            SegmentKind::Network => self.error(
                &decl.ends_span,
                format!("a network needs at least 2 ends, this one has {count}"),
            ),
        };
        self.push(error);
    }

    pub(super) fn ends<'f>(
        &mut self,
        decl: &'f ast::SegmentDecl,
        subnet: Option<Ipv4Net>,
        subnet6: Option<Ipv6Net>,
        routers: &Routers<'f>,
    ) -> Vec<EndDraft<'f>> {
        let mut attached: Vec<usize> = Vec::new();
        let mut drafts = Vec::new();
        for end in &decl.ends {
            let router = self.end_router(end, routers);
            if let Some(index) = router {
                if attached.contains(&index) {
                    self.report_attached_twice(decl, end);
                }
                attached.push(index);
            }
            if let Some(iface) = &end.interface {
                self.check_interface_name(iface);
            }
            if let Some(vrf) = &end.vrf {
                self.check_end_vrf(end, vrf, router.map(|i| &routers.drafts[i]));
            }
            if let Some(l2vpn) = &end.l2vpn {
                self.check_end_l2vpn(end, l2vpn, router.map(|i| &routers.drafts[i]));
            }
            let ipv6_only = decl.written_subnet4().is_none();
            let address = match &end.address {
                Some(written) if ipv6_only => {
                    self.check_ipv6_only_end(decl, end, written);
                    None
                }
                Some(written) => self.end_address(decl, written, subnet),
                None => None,
            };
            let address6 = end
                .written_address6()
                .and_then(|(text, span)| self.end_address6(decl, text, span, subnet6));
            drafts.push(EndDraft {
                end,
                router,
                address,
                address6,
                interface: None,
            });
        }
        drafts
    }

    /// `vrf NAME` belongs on a PE's customer side, and names a device FRR and Linux accept.
    pub(super) fn check_end_vrf(
        &mut self,
        end: &ast::End,
        vrf: &ast::Word,
        router: Option<&RouterDraft<'_>>,
    ) {
        let problem = crate::topology::names::vrf_name_problem(&vrf.text, &[]);
        self.check_pe_marker(
            end,
            vrf,
            router,
            problem,
            ("vrf", "only a PE has customer VRFs"),
            "put `vrf NAME` after the PE's address on the link to the customer; the CE \
             joins that VRF through it",
        );
    }

    /// A marker on an end (`vrf NAME`, `l2vpn NAME`): a name its consumer takes (`problem`
    /// says why not, if not), on a PE's end only (else `keyword` and `why` say so, with `help`).
    pub(super) fn check_pe_marker(
        &mut self,
        end: &ast::End,
        name: &ast::Word,
        router: Option<&RouterDraft<'_>>,
        problem: Option<(String, String)>,
        (keyword, why): (&str, &str),
        help: &str,
    ) {
        if let Some((message, name_help)) = problem {
            let e = self.error(&name.span, message).with_help(name_help);
            self.push(e);
            return;
        }
        let Some(role) = router.and_then(|r| r.role) else {
            return;
        };
        if role != Role::Pe {
            let message = format!(
                "`{keyword}` on the end of `{}`, a {} router: {why}",
                end.router.text,
                role.as_str()
            );
            let e = self.error(&name.span, message).with_help(help);
            self.push(e);
        }
    }

    pub(super) fn end_router(&mut self, end: &ast::End, routers: &Routers<'_>) -> Option<usize> {
        let name = end.router.text.as_str();
        if let Some(&index) = routers.by_name.get(name) {
            return Some(index);
        }
        let declared: Vec<&str> = routers
            .drafts
            .iter()
            .map(|d| d.decl.name.text.as_str())
            .collect();
        let help = if let Some(suggestion) = closest(name, declared.iter().copied()) {
            format!("did you mean `{suggestion}`?")
        } else if declared.is_empty() {
            format!("declare it with `router {name} ROLE`")
        } else {
            format!(
                "declared routers: {}; or declare it with `router {name} ROLE`",
                short_list(&declared)
            )
        };
        let e = self.error(&end.router.span, format!("unknown router `{name}`"));
        self.push(e.with_help(help));
        None
    }

    pub(super) fn report_attached_twice(&mut self, decl: &ast::SegmentDecl, end: &ast::End) {
        let message = format!(
            "router `{}` appears twice in `{}`",
            end.router.text, decl.name.text
        );
        let e = self.error(&end.reference, message);
        self.push(e.with_help("Docker attaches a container to a network only once; use another segment for a second interface"));
    }

    /// An end of an IPv6-only segment has one address, an IPv6 one.
    fn check_ipv6_only_end(
        &mut self,
        decl: &ast::SegmentDecl,
        end: &ast::End,
        written: &ast::Address,
    ) {
        let (span, message) = match (written.kind, &end.address6) {
            (AddressKind::Ipv6, None) => return,
            (AddressKind::Ipv6, Some(second)) => (
                &second.span,
                "an end with two IPv6 addresses: one of each family".to_string(),
            ),
            _ => (
                &written.span,
                format!(
                    "an IPv4 address on {} `{}`, which is IPv6-only",
                    kind_noun(decl.kind),
                    decl.name.text
                ),
            ),
        };
        let e = self.error(span, message);
        self.push(e.with_help(
            "write the end's IPv6 address alone (like ::2), or give the segment an IPv4 subnet before its IPv6 one",
        ));
    }

    /// The end's address, or `None` (reported) when it is unreadable or misplaced.
    pub(super) fn end_address(
        &mut self,
        decl: &ast::SegmentDecl,
        written: &ast::Address,
        subnet: Option<Ipv4Net>,
    ) -> Option<Ipv4Addr> {
        let address = match written.kind {
            AddressKind::Ipv6 => {
                let e = self.error(
                    &written.span,
                    "an IPv6 address where the end's IPv4 address goes",
                );
                self.push(e.with_help(
                    "write the IPv4 address (or its host part, like .2) first, then the IPv6 one",
                ));
                return None;
            }
            AddressKind::Full => self.ipv4(&written.text, &written.span)?,
            AddressKind::HostPart => {
                let octets = self.host_part(written)?;
                with_low_octets(subnet?.network(), &octets)
            }
        };
        match subnet {
            Some(subnet) if !self.check_placement(decl, written, address, subnet) => None,
            _ => self
                .not_martian(address.into(), &written.span)
                .then_some(address),
        }
    }

    pub(super) fn check_placement(
        &mut self,
        decl: &ast::SegmentDecl,
        written: &ast::Address,
        address: Ipv4Addr,
        subnet: Ipv4Net,
    ) -> bool {
        let shown = match written.kind {
            AddressKind::Full | AddressKind::Ipv6 => address.to_string(),
            AddressKind::HostPart => format!("{} ({address})", written.text),
        };
        let message = if !subnet.contains(&address) {
            let kind = kind_noun(decl.kind);
            format!(
                "address {shown} is outside subnet {subnet} of {kind} `{}`",
                decl.name.text
            )
        } else if subnet.prefix_len() <= 30 && address == subnet.network() {
            format!("address {shown} is the network address of {subnet}")
        } else if subnet.prefix_len() <= 30 && address == subnet.broadcast() {
            format!("address {shown} is the broadcast address of {subnet}")
        } else {
            return true;
        };
        let (low, high) = host_range(subnet);
        let e = self.error(&written.span, message);
        self.push(e.with_help(format!("use an address from {low} to {high}")));
        false
    }
}
