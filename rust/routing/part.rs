//! A rule as the state machine sees it: a list of parts, one per path
//! segment, except that a converter which may match slashes (`path`) swallows
//! every segment after it into one final part.

use crate::routing::converter::ConverterSpec;
use crate::routing::rule::Token;
use std::cmp::Ordering;

/// One element of a dynamic part.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Static(String),
    /// A slash inside a final part.
    Slash,
    /// The n-th converter of the part, with its spec.
    Conv(ConverterSpec),
}

/// The order of dynamic transitions: more static chunks first, then longer
/// static chunks, then more converters, then lighter converters.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Weight {
    pub statics: Vec<usize>,
    pub converters: Vec<f64>,
}

impl Weight {
    pub fn order(&self, other: &Self) -> Ordering {
        other
            .statics
            .len()
            .cmp(&self.statics.len())
            // Longer static chunks first, position by position; a shorter list
            // that is a prefix of the other goes first.
            .then_with(|| {
                for (a, b) in self.statics.iter().zip(&other.statics) {
                    match b.cmp(a) {
                        Ordering::Equal => {}
                        o => return o,
                    }
                }
                self.statics.len().cmp(&other.statics.len())
            })
            .then_with(|| other.converters.len().cmp(&self.converters.len()))
            .then_with(|| {
                for (a, b) in self.converters.iter().zip(&other.converters) {
                    match a.partial_cmp(b).unwrap_or(Ordering::Equal) {
                        Ordering::Equal => {}
                        o => return o,
                    }
                }
                self.converters.len().cmp(&other.converters.len())
            })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Part {
    Static(String),
    Dynamic(DynamicPart),
}

#[derive(Debug, Clone, PartialEq)]
pub struct DynamicPart {
    pub pieces: Vec<Piece>,
    /// Consumes the rest of the path.
    pub final_: bool,
    /// A final part whose rule ends in a slash: the trailing slash is matched
    /// separately so that its absence can redirect.
    pub suffixed: bool,
    pub weight: Weight,
}

/// Splits tokens into parts; `convs` gives the spec of each variable in order.
pub fn split_parts(tokens: &[crate::routing::rule::Token], convs: &[ConverterSpec]) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut pieces: Vec<Piece> = Vec::new();
    let mut weight = Weight::default();
    let mut dynamic = false;
    let mut final_ = false;
    let mut convs = convs.iter();
    let flush = |pieces: &mut Vec<Piece>,
                 weight: &mut Weight,
                 dynamic: bool,
                 final_: bool,
                 suffixed: bool| {
        let pieces = std::mem::take(pieces);
        let weight = std::mem::take(weight);
        if dynamic {
            Part::Dynamic(DynamicPart {
                pieces,
                final_,
                suffixed,
                weight,
            })
        } else {
            let text = pieces
                .into_iter()
                .map(|p| match p {
                    Piece::Static(s) => s,
                    _ => String::new(),
                })
                .collect();
            Part::Static(text)
        }
    };
    for token in tokens {
        match token {
            Token::Static(s) => {
                weight.statics.push(s.chars().count());
                pieces.push(Piece::Static(s.clone()));
            }
            Token::Var(_) => {
                let spec = convs
                    .next()
                    .cloned()
                    .unwrap_or_else(|| ConverterSpec::new("[^/]+", 100.0, true));
                dynamic = true;
                if !spec.part_isolating {
                    final_ = true;
                }
                weight.converters.push(spec.weight);
                pieces.push(Piece::Conv(spec));
            }
            Token::Slash => {
                if final_ {
                    pieces.push(Piece::Slash);
                } else {
                    parts.push(flush(&mut pieces, &mut weight, dynamic, false, false));
                    dynamic = false;
                }
            }
        }
    }
    let suffixed = final_ && matches!(pieces.last(), Some(Piece::Slash));
    if suffixed {
        pieces.pop();
    }
    parts.push(flush(&mut pieces, &mut weight, dynamic, final_, suffixed));
    if suffixed {
        parts.push(Part::Static(String::new()));
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::routing::rule::parse_rule;

    fn spec(regex: &str, weight: f64, iso: bool) -> ConverterSpec {
        ConverterSpec::new(regex, weight, iso)
    }

    #[test]
    fn segments_become_parts() {
        let t = parse_rule("/a/<x>/b", true).unwrap();
        let p = split_parts(&t, &[spec("[^/]+", 100.0, true)]);
        assert_eq!(p.len(), 4);
        assert_eq!(p[0], Part::Static(String::new()));
        assert_eq!(p[1], Part::Static("a".into()));
        assert!(matches!(&p[2], Part::Dynamic(d) if !d.final_));
        assert_eq!(p[3], Part::Static("b".into()));
    }

    #[test]
    fn a_path_converter_swallows_the_rest() {
        let t = parse_rule("/f/<path:p>/edit/", true).unwrap();
        let p = split_parts(&t, &[spec("[^/].*?", 200.0, false)]);
        assert_eq!(p.len(), 4);
        match &p[2] {
            Part::Dynamic(d) => {
                assert!(d.final_ && d.suffixed);
                assert_eq!(d.pieces.len(), 3);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(p[3], Part::Static(String::new()));
    }

    #[test]
    fn weights_order_parts() {
        let w = |s: &[usize], c: &[f64]| Weight {
            statics: s.to_vec(),
            converters: c.to_vec(),
        };
        assert_eq!(w(&[1], &[100.0]).order(&w(&[], &[100.0])), Ordering::Less);
        assert_eq!(w(&[3], &[100.0]).order(&w(&[1], &[100.0])), Ordering::Less);
        assert_eq!(w(&[], &[50.0]).order(&w(&[], &[100.0])), Ordering::Less);
        assert_eq!(
            w(&[], &[100.0, 100.0]).order(&w(&[], &[50.0])),
            Ordering::Less
        );
    }
}
