//! The IPv6 half of a dual-stack topology: loopbacks, segment subnets and end addresses after
//! their IPv4 ones, with the same checks (inside the subnet, unique within a routing domain,
//! no overlap within a domain) and their own forms (prefix lengths to 128, `::2` shorthand).

use std::collections::HashMap;
use std::net::Ipv6Addr;

use ipnet::Ipv6Net;

use super::{Domains, Lowering, Routers, SegmentDraft};
use crate::topology::ast::{self, Span};
use crate::topology::domain::Domain;

impl Lowering<'_> {
    pub(super) fn prefix6(&mut self, prefix: &ast::Prefix) -> Option<Ipv6Net> {
        let text = &prefix.address.text;
        let address = match text.parse::<Ipv6Addr>() {
            Ok(a) => Some(a),
            Err(_) => {
                let e = self.error(
                    &prefix.address.span,
                    format!("invalid IPv6 address `{text}`"),
                );
                self.push(e.with_help(
                    "write up to eight groups of hex digits separated by colons, `::` once for a run of zeros, like 2001:db8:1::",
                ));
                None
            }
        };
        let length = prefix.length.text.parse::<u8>().ok().filter(|l| *l <= 128);
        if length.is_none() {
            let message = format!(
                "invalid IPv6 prefix length `{}`: it must be 0 to 128",
                prefix.length.text
            );
            self.push(self.error(&prefix.length.span, message));
        }
        Ipv6Net::new(address?, length?).ok()
    }

    /// A line has at most one prefix of each family, the IPv4 one first: a second IPv6
    /// prefix after an IPv6 one is refused there.
    pub(super) fn one_ipv6_prefix(
        &mut self,
        first: &ast::Prefix,
        second: Option<&ast::Prefix>,
        what: &str,
    ) {
        let Some(second) = second.filter(|_| first.is_ipv6()) else {
            return;
        };
        let e = self.error(
            &second.span,
            format!("{what} has two IPv6 prefixes: one of each family, the IPv4 one first"),
        );
        self.push(e.with_help(format!(
            "write an IPv4 prefix before `{}/{}` for dual stack, or leave it alone for IPv6 only",
            first.address.text, first.length.text
        )));
    }

    pub(super) fn subnet6(&mut self, decl: &ast::SegmentDecl) -> Option<Ipv6Net> {
        let written = decl.written_subnet6()?;
        let net = self.prefix6(written)?;
        if net.trunc() != net {
            let message = format!("subnet has host bits set: did you mean {}?", net.trunc());
            let e = self.error(&written.span, message);
            self.push(e.with_help("a segment's subnet is written with its network address"));
            return None;
        }
        Some(net)
    }

    /// An end's IPv6 address: `::2` puts 2 in the host bits of the segment's IPv6 subnet; a
    /// full address must be inside it. Neither may be the subnet's own address (all host bits
    /// zero, the subnet-router anycast address).
    pub(super) fn end_address6(
        &mut self,
        decl: &ast::SegmentDecl,
        text: &str,
        span: &Span,
        subnet6: Option<Ipv6Net>,
    ) -> Option<Ipv6Addr> {
        let Some(parsed) = text.parse::<Ipv6Addr>().ok() else {
            let e = self.error(span, format!("invalid IPv6 address `{text}`"));
            self.push(
                e.with_help("write a full address like 2001:db8:1::2, or ::2 for the host bits"),
            );
            return None;
        };
        let Some(subnet) = subnet6 else {
            if decl.written_subnet6().is_none() {
                let message = format!(
                    "{} `{}` has no IPv6 subnet for this address",
                    super::kind_noun(decl.kind),
                    decl.name.text
                );
                let e = self.error(span, message);
                self.push(e.with_help(format!(
                    "give the segment an IPv6 subnet after its IPv4 one, e.g. `{}/{} 2001:db8:1::/64`",
                    decl.subnet.address.text, decl.subnet.length.text
                )));
            }
            return None;
        };
        let shorthand = text.starts_with("::");
        let address = if shorthand {
            let host = u128::from(parsed);
            if host & u128::from(subnet.netmask()) != 0 {
                let message = format!(
                    "host part `{text}` does not fit in the {} host bits of {subnet}",
                    128 - subnet.prefix_len()
                );
                self.push(self.error(span, message));
                return None;
            }
            Ipv6Addr::from(u128::from(subnet.network()) | host)
        } else {
            parsed
        };
        let shown = if shorthand {
            format!("{text} ({address})")
        } else {
            address.to_string()
        };
        let problem = if !subnet.contains(&address) {
            Some(format!(
                "address {shown} is outside subnet {subnet} of {} `{}`",
                super::kind_noun(decl.kind),
                decl.name.text
            ))
        } else if address == subnet.network() && subnet.prefix_len() < 127 {
            Some(format!(
                "address {shown} is the subnet-router address of {subnet}, not a host's"
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            let e = self.error(span, message);
            self.push(e.with_help(format!(
                "use an address inside {subnet}, e.g. {}",
                Ipv6Addr::from(u128::from(subnet.network()) | 1)
            )));
            return None;
        }
        self.not_martian(address.into(), span).then_some(address)
    }

    pub(super) fn check_overlaps6(&mut self, segments: &[SegmentDraft<'_>], domains: &Domains) {
        self.report_overlaps(
            segments,
            domains,
            |s| Some((s.subnet6?, &s.decl.written_subnet6()?.span)),
            |_| "give each link or network an IPv6 subnet of its own",
        );
    }

    pub(super) fn check_unique_addresses6(
        &mut self,
        routers: &Routers<'_>,
        segments: &[SegmentDraft<'_>],
        domains: &Domains,
    ) {
        let mut uses: Vec<((&Domain, Ipv6Addr), &Span, String)> = Vec::new();
        for (i, draft) in routers.drafts.iter().enumerate() {
            if let (Some(lo), Some(written)) = (draft.loopback6, draft.decl.written_loopback6()) {
                uses.push((
                    (&domains.routers[i], lo.addr()),
                    &written.address.span,
                    format!("the loopback of `{}`", draft.decl.name.text),
                ));
            }
        }
        for (i, s) in segments.iter().enumerate() {
            for end in &s.ends {
                if let (Some(address), Some((_, span))) = (end.address6, end.end.written_address6())
                {
                    uses.push(((&domains.segments[i], address), span, super::end_owner(end)));
                }
            }
        }
        uses.sort_by_key(|(_, span, _)| span.start);
        let mut first: HashMap<(&Domain, Ipv6Addr), (String, &Span)> = HashMap::new();
        for (key, span, owner) in uses {
            if let Some((first_owner, first_span)) = first.get(&key) {
                let message = format!(
                    "address {} is already used by {first_owner} on line {}",
                    key.1,
                    self.line(first_span)
                );
                self.push(self.error(span, message));
            } else {
                first.insert(key, (owner, span));
            }
        }
    }
}
