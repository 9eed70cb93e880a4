//! No input makes the front end panic: arbitrary text, and examples with random edits.

use ana_compiler::{CompileOptions, compile};
use proptest::prelude::*;

const DIMUON: &str = include_str!("../../examples/dimuon.ana");

fn no_panic(src: &str) {
    let _ = compile("fuzz.ana", src, &CompileOptions::default());
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text(src in "\\PC{0,200}") {
        no_panic(&src);
    }

    #[test]
    fn token_soup(toks in proptest::collection::vec(prop_oneof![
        Just("let "), Just("x"), Just(" = "), Just("Muon{pt, eta}"), Just("("), Just(")"), Just("["), Just("]"),
        Just("{"), Just("}"), Just(","), Just("."), Just("0"), Just("1.5"), Just(" and "), Just(" or "), Just("not "),
        Just("=>"), Just("+"), Just("-"), Just("*"), Just("/"), Just("=="), Just("<"), Just("\n"), Just("hist h: "),
        Just(" ~ Reg(3, 0, 1)"), Just("region r: "), Just(" in r"), Just("table t { a = "), Just("\""), Just("sum("),
        Just("pairs("), Just("first("), Just("argmin("), Just("p => p.0.pt"), Just("count("), Just("deltaR("),
    ], 0..40)) {
        no_panic(&toks.concat());
    }

    #[test]
    fn mutated_example(cuts in proptest::collection::vec((0usize..1000, 0usize..8, "\\PC{0,4}"), 1..4)) {
        let mut src = DIMUON.to_string();
        for (at, len, insert) in cuts {
            let mut start = at % (src.len() + 1);
            while !src.is_char_boundary(start) { start -= 1; }
            let mut end = (start + len).min(src.len());
            while !src.is_char_boundary(end) { end -= 1; }
            src.replace_range(start..end, &insert);
        }
        no_panic(&src);
    }
}
