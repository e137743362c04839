//! Attachment circuits of layer-2 VPNs: a PE's end marked `l2vpn NAME` carries no address (the
//! PE forwards the customer's frames, it does not route them), and the segments of one L2VPN
//! are one broadcast domain: one subnet, each CE address once (checked with the other
//! domains' addresses).

use std::collections::BTreeMap;

use super::*;

impl<'s> Lowering<'s> {
    /// `l2vpn NAME` belongs on a PE's end, with a name ldpd takes.
    pub(super) fn check_end_l2vpn(
        &mut self,
        end: &ast::End,
        name: &ast::Word,
        router: Option<&RouterDraft<'_>>,
    ) {
        let problem = crate::topology::names::l2vpn_name_problem(&name.text);
        self.check_pe_marker(
            end,
            name,
            router,
            problem,
            ("l2vpn", "only a PE attaches customers to a layer-2 VPN"),
            "write `l2vpn NAME` instead of the PE's address on the link to the customer; \
             the customer's end keeps its address",
        );
    }

    /// Each attachment circuit joins one PE to customers, and an L2VPN's circuits share one
    /// subnet (and one IPv6 subnet, or none).
    pub(super) fn check_attachment_circuits(
        &mut self,
        routers: &Routers<'_>,
        segments: &[SegmentDraft<'_>],
        domains: &Domains,
    ) {
        // Each L2VPN's first segment, whose subnets the others must repeat.
        let mut first: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, s) in segments.iter().enumerate() {
            let Domain::L2vpn(name) = &domains.segments[i] else {
                continue;
            };
            let marked: Vec<&EndDraft<'_>> =
                s.ends.iter().filter(|e| e.end.l2vpn.is_some()).collect();
            // A segment behind a CE is in the customer's domain, but no attachment circuit.
            if marked.is_empty() {
                continue;
            }
            if let [_, second, ..] = marked.as_slice() {
                let message = format!(
                    "`{}` attaches two PE ends to L2VPN {name}",
                    s.decl.name.text
                );
                let e = self.error(&second.end.reference, message).with_help(
                    "an attachment circuit joins one PE to its customers; give each PE a link of its own",
                );
                self.push(e);
            }
            // A marker on another role than a PE's is reported where it is written.
            let role = |e: &EndDraft<'_>| e.router.and_then(|r| routers.drafts[r].role);
            let on_pes = marked.iter().all(|e| role(e) == Some(Role::Pe));
            for end in s.ends.iter().filter(|e| on_pes && e.end.l2vpn.is_none()) {
                let Some(r) = end.router else { continue };
                let Some(role) = routers.drafts[r].role else {
                    continue;
                };
                if role != Role::Ce {
                    let message = format!(
                        "`{}`, a {} router, is on `{}`, an attachment circuit of L2VPN {name}",
                        end.end.router.text,
                        role.as_str(),
                        s.decl.name.text
                    );
                    let e = self.error(&end.end.reference, message).with_help(
                        "the customer side of an attachment circuit is a CE: the provider's \
                         routers meet on links of their own",
                    );
                    self.push(e);
                }
            }
            let Some(&j) = first.get(name.as_str()) else {
                first.insert(name.as_str(), i);
                continue;
            };
            let other = &segments[j];
            let differing = match (s.subnet, other.subnet) {
                (Some(here), Some(there)) if here != there => Some((here, there)),
                _ => None,
            };
            if let Some((here, there)) = differing {
                let message = format!(
                    "subnet {here} of `{}` differs from {there} of `{}` on line {}, in the same L2VPN {name}",
                    s.decl.name.text,
                    other.decl.name.text,
                    self.line(&other.decl.span)
                );
                let e = self.error(&s.decl.subnet.span, message).with_help(
                    "an L2VPN's attachment circuits are one broadcast domain: write the same \
                     subnet on each, and give its CEs different addresses in it",
                );
                self.push(e);
            } else if s.subnet6 != other.subnet6 {
                let span = s
                    .decl
                    .subnet6
                    .as_ref()
                    .map_or(&s.decl.subnet.span, |p| &p.span);
                let shown = |net: Option<Ipv6Net>| {
                    net.map_or("no IPv6 subnet".to_string(), |n| n.to_string())
                };
                let message = format!(
                    "`{}` has {} and `{}` on line {} has {}, in the same L2VPN {name}",
                    s.decl.name.text,
                    shown(s.subnet6),
                    other.decl.name.text,
                    self.line(&other.decl.span),
                    shown(other.subnet6)
                );
                let e = self.error(span, message).with_help(
                    "an L2VPN's attachment circuits are one broadcast domain: write the same \
                     IPv6 subnet on each, or none",
                );
                self.push(e);
            }
        }
    }
}
