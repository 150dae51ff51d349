//! Part of stage 5, generate: a `Deserialize` that dispatches on the JSON
//! kind for the untagged enums typify makes of `oneOf`/`anyOf`.
//!
//! serde's `untagged` derive buffers the whole value into a tree of its own
//! and tries each variant in turn, building an error for each miss
//! (serde-rs/serde#1381, #2101). On `GET /preferences` (object or array) that
//! doubled the cost of decoding. Where every variant of such an enum is a
//! different JSON kind (object, array, string, boolean, integer, number),
//! the kind of the first token decides the variant: this module swaps the
//! derived `Deserialize` for a visitor that does exactly that, without a
//! buffer, and whose error is the one variant's own or names the kinds
//! expected. Enums it cannot prove distinct (two objects, an integer beside
//! a number, a type it does not know) keep serde's derive.

use std::collections::HashMap;

use anyhow::{Context, Result};
use quote::{format_ident, quote};
use syn::punctuated::Punctuated;
use syn::{Attribute, Fields, Item, Token, Type};

/// The JSON kind a Rust type deserializes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
    String,
    Boolean,
    Integer,
    /// A float: integers are numbers too.
    Number,
}

impl Kind {
    fn described(self) -> &'static str {
        match self {
            Self::Object => "an object",
            Self::Array => "an array",
            Self::String => "a string",
            Self::Boolean => "a boolean",
            Self::Integer => "an integer",
            Self::Number => "a number",
        }
    }
}

/// Rewrites the eligible untagged enums of the `types` module in place and
/// returns their names.
pub fn dispatch_by_kind(file: &mut syn::File) -> Result<Vec<String>> {
    let Some(types) = file.items.iter_mut().find_map(|item| match item {
        Item::Mod(module) if module.ident == "types" => module.content.as_mut().map(|(_, items)| items),
        _ => None,
    }) else {
        return Ok(Vec::new());
    };
    let locals: HashMap<String, Item> = types
        .iter()
        .filter_map(|item| match item {
            Item::Struct(s) => Some((s.ident.to_string(), item.clone())),
            Item::Enum(e) => Some((e.ident.to_string(), item.clone())),
            _ => None,
        })
        .collect();
    let mut rewritten = Vec::new();
    let mut impls = Vec::new();
    for item in types.iter_mut() {
        let Item::Enum(enumeration) = item else { continue };
        let Some(variants) = eligible(enumeration, &locals) else {
            continue;
        };
        drop_derived_deserialize(&mut enumeration.attrs)?;
        impls.push(
            syn::parse2(visitor_impl(&enumeration.ident, &variants))
                .with_context(|| format!("the Deserialize written for `{}` does not parse", enumeration.ident))?,
        );
        rewritten.push(enumeration.ident.to_string());
    }
    types.extend(impls);
    Ok(rewritten)
}

/// The variants (name, type, kind) of an untagged enum with a derived
/// `Deserialize` whose variants are one-field tuples of distinct kinds.
fn eligible(enumeration: &syn::ItemEnum, locals: &HashMap<String, Item>) -> Option<Vec<(syn::Ident, Type, Kind)>> {
    if !serde_flag(&enumeration.attrs, "untagged") || !derives_deserialize(&enumeration.attrs) {
        return None;
    }
    let mut variants = Vec::new();
    for variant in &enumeration.variants {
        // A serde attribute on a variant (skip, rename, …) changes what it accepts.
        if variant.attrs.iter().any(|a| a.path().is_ident("serde")) {
            return None;
        }
        let Fields::Unnamed(fields) = &variant.fields else {
            return None;
        };
        if fields.unnamed.len() != 1 {
            return None;
        }
        let ty = &fields.unnamed[0].ty;
        variants.push((variant.ident.clone(), ty.clone(), kind_of(ty, locals, 0)?));
    }
    let kinds: Vec<Kind> = variants.iter().map(|(_, _, k)| *k).collect();
    let distinct = kinds.iter().enumerate().all(|(i, a)| {
        kinds[i + 1..].iter().all(|b| {
            let numbers = matches!((a, b), (Kind::Integer, Kind::Number) | (Kind::Number, Kind::Integer));
            a != b && !numbers
        })
    });
    (distinct && !variants.is_empty()).then_some(variants)
}

/// The kind `ty` deserializes from, when it can be told from the type alone.
fn kind_of(ty: &Type, locals: &HashMap<String, Item>, depth: usize) -> Option<Kind> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() || depth > 8 {
        return None;
    }
    let last = path.path.segments.last()?;
    let name = last.ident.to_string();
    let crate_name = (path.path.segments.len() > 1).then(|| path.path.segments[0].ident.to_string());
    match (crate_name.as_deref(), name.as_str()) {
        (Some("std") | None, "String") => Some(Kind::String),
        (Some("std") | None, "Vec") => Some(Kind::Array),
        (Some("std") | None, "BTreeMap" | "HashMap") | (Some("serde_json"), "Map") => Some(Kind::Object),
        (Some("std") | None, "Box") => kind_of(single_argument(last)?, locals, depth + 1),
        (Some("uuid"), "Uuid") => Some(Kind::String),
        (Some("chrono"), "DateTime" | "NaiveDate" | "NaiveDateTime" | "NaiveTime") => Some(Kind::String),
        (Some("std"), n) if n.starts_with("NonZero") => Some(Kind::Integer),
        (None, "bool") => Some(Kind::Boolean),
        (None, "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64") => Some(Kind::Integer),
        (None, "f32" | "f64") => Some(Kind::Number),
        (None, local) => kind_of_local(locals.get(local)?, locals, depth + 1),
        _ => None,
    }
}

/// The kind of a type the `types` module defines.
fn kind_of_local(item: &Item, locals: &HashMap<String, Item>, depth: usize) -> Option<Kind> {
    match item {
        Item::Struct(s) => match &s.fields {
            // A newtype (typify marks it transparent): its inner type's kind.
            Fields::Unnamed(fields) if fields.unnamed.len() == 1 => kind_of(&fields.unnamed[0].ty, locals, depth),
            Fields::Named(fields) if serde_flag(&s.attrs, "transparent") && fields.named.len() == 1 => {
                kind_of(&fields.named[0].ty, locals, depth)
            }
            Fields::Named(_) if derives_deserialize(&s.attrs) && !serde_flag(&s.attrs, "transparent") => {
                Some(Kind::Object)
            }
            _ => None,
        },
        // typify's string enums: unit variants, externally tagged, derived.
        Item::Enum(e)
            if derives_deserialize(&e.attrs)
                && !e.attrs.iter().any(|a| a.path().is_ident("serde"))
                && e.variants.iter().all(|v| matches!(v.fields, Fields::Unit)) =>
        {
            Some(Kind::String)
        }
        _ => None,
    }
}

fn single_argument(segment: &syn::PathSegment) -> Option<&Type> {
    let syn::PathArguments::AngleBracketed(arguments) = &segment.arguments else {
        return None;
    };
    match arguments.args.first()? {
        syn::GenericArgument::Type(ty) if arguments.args.len() == 1 => Some(ty),
        _ => None,
    }
}

/// Whether `#[serde(flag)]` (alone or among others) is on the item.
fn serde_flag(attrs: &[Attribute], flag: &str) -> bool {
    attrs.iter().filter(|a| a.path().is_ident("serde")).any(|a| {
        let mut found = false;
        // Other serde options carry values; skip them whole.
        let _ = a.parse_nested_meta(|meta| {
            found |= meta.path.is_ident(flag);
            if meta.input.peek(Token![=]) {
                meta.value()?.parse::<syn::Expr>()?;
            }
            Ok(())
        });
        found
    })
}

fn derived(attr: &Attribute) -> Option<Punctuated<syn::Path, Token![,]>> {
    attr.path()
        .is_ident("derive")
        .then(|| attr.parse_args_with(Punctuated::parse_terminated).ok())
        .flatten()
}

fn is_deserialize(path: &syn::Path) -> bool {
    path.segments.last().is_some_and(|s| s.ident == "Deserialize")
}

fn derives_deserialize(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .filter_map(derived)
        .any(|paths| paths.iter().any(is_deserialize))
}

/// Takes `Deserialize` out of the derive list; `#[serde(untagged)]` stays for `Serialize`.
fn drop_derived_deserialize(attrs: &mut [Attribute]) -> Result<()> {
    for attr in attrs.iter_mut() {
        if let Some(paths) = derived(attr)
            && paths.iter().any(is_deserialize)
        {
            let kept = paths.iter().filter(|p| !is_deserialize(p));
            *attr = syn::parse_quote!(#[derive(#(#kept),*)]);
            return Ok(());
        }
    }
    anyhow::bail!("no derived Deserialize to replace")
}

fn visitor_impl(name: &syn::Ident, variants: &[(syn::Ident, Type, Kind)]) -> proc_macro2::TokenStream {
    let expecting = {
        let kinds: Vec<&str> = variants.iter().map(|(_, _, k)| k.described()).collect();
        match kinds.split_last() {
            Some((last, [])) => (*last).to_string(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    };
    let methods = variants.iter().map(|(variant, ty, kind)| {
        // Each visit_* hands the value on to the variant's own Deserialize,
        // through serde's deserializer for that one value.
        let hand_on = |method: &str, value: proc_macro2::TokenStream, deserializer: proc_macro2::TokenStream| {
            let method = format_ident!("{method}");
            quote! {
                fn #method<E: ::serde::de::Error>(self, value: #value) -> ::std::result::Result<#name, E> {
                    <#ty as ::serde::Deserialize>::deserialize(#deserializer::<E>::new(value)).map(#name::#variant)
                }
            }
        };
        match kind {
            Kind::Object => quote! {
                fn visit_map<A: ::serde::de::MapAccess<'de>>(self, map: A) -> ::std::result::Result<#name, A::Error> {
                    <#ty as ::serde::Deserialize>::deserialize(::serde::de::value::MapAccessDeserializer::new(map)).map(#name::#variant)
                }
            },
            Kind::Array => quote! {
                fn visit_seq<A: ::serde::de::SeqAccess<'de>>(self, seq: A) -> ::std::result::Result<#name, A::Error> {
                    <#ty as ::serde::Deserialize>::deserialize(::serde::de::value::SeqAccessDeserializer::new(seq)).map(#name::#variant)
                }
            },
            Kind::String => {
                let borrowed = hand_on("visit_str", quote!(&str), quote!(::serde::de::value::StrDeserializer));
                let owned = hand_on("visit_string", quote!(::std::string::String), quote!(::serde::de::value::StringDeserializer));
                quote! { #borrowed #owned }
            }
            Kind::Boolean => hand_on("visit_bool", quote!(bool), quote!(::serde::de::value::BoolDeserializer)),
            Kind::Integer | Kind::Number => {
                let unsigned = hand_on("visit_u64", quote!(u64), quote!(::serde::de::value::U64Deserializer));
                let signed = hand_on("visit_i64", quote!(i64), quote!(::serde::de::value::I64Deserializer));
                let float = (*kind == Kind::Number)
                    .then(|| hand_on("visit_f64", quote!(f64), quote!(::serde::de::value::F64Deserializer)));
                quote! { #unsigned #signed #float }
            }
        }
    });
    quote! {
        /// Decided by the kind of the JSON value, without buffering it
        /// (written by `cargo xtask regen` in place of serde's untagged derive).
        impl<'de> ::serde::Deserialize<'de> for #name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                struct Kinds;
                impl<'de> ::serde::de::Visitor<'de> for Kinds {
                    type Value = #name;
                    fn expecting(&self, formatter: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                        formatter.write_str(#expecting)
                    }
                    #(#methods)*
                }
                deserializer.deserialize_any(Kinds)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(types: proc_macro2::TokenStream) -> (Vec<String>, String) {
        let mut file: syn::File = syn::parse2(quote! { pub mod types { #types } }).unwrap();
        let names = dispatch_by_kind(&mut file).unwrap();
        (names, prettyplease::unparse(&file))
    }

    #[test]
    fn distinct_kinds_are_dispatched() {
        let (names, code) = rewrite(quote! {
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
            pub struct One { pub a: u64 }
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
            #[serde(untagged)]
            pub enum OneOrMany { One(One), Many(::std::vec::Vec<One>) }
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
            #[serde(untagged)]
            pub enum Text { String(::std::string::String), Array(::std::vec::Vec<::std::string::String>) }
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
            #[serde(untagged)]
            pub enum Scalar { Flag(bool), Count(u64), Id(::uuid::Uuid) }
        });
        assert_eq!(names, ["OneOrMany", "Text", "Scalar"]);
        // The derive loses Deserialize only; untagged stays for Serialize.
        assert_eq!(
            code.matches("#[derive(::serde::Serialize, Clone, Debug)]").count(),
            3,
            "{code}"
        );
        assert_eq!(code.matches("#[serde(untagged)]").count(), 3, "{code}");
        assert!(
            code.contains(r#"formatter.write_str("an object or an array")"#),
            "{code}"
        );
        assert!(
            code.contains(r#"formatter.write_str("a boolean, an integer or a string")"#),
            "{code}"
        );
        for visit in [
            "visit_map",
            "visit_seq",
            "visit_str",
            "visit_string",
            "visit_bool",
            "visit_u64",
            "visit_i64",
        ] {
            assert!(code.contains(visit), "{visit}: {code}");
        }
        assert!(
            !code.contains("visit_f64"),
            "an integer variant must not take floats: {code}"
        );
    }

    #[test]
    fn newtypes_and_string_enums_take_their_kind() {
        let (names, _) = rewrite(quote! {
            #[derive(::serde::Serialize, Clone, Debug)]
            #[serde(transparent)]
            pub struct UserId(::std::string::String);
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Copy, Debug)]
            pub enum Color { #[serde(rename = "red")] Red, #[serde(rename = "blue")] Blue }
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
            #[serde(untagged)]
            pub enum A { Id(UserId), Ids(::std::vec::Vec<UserId>) }
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
            #[serde(untagged)]
            pub enum B { Color(Color), Weight(f64) }
        });
        assert_eq!(names, ["A", "B"]);
    }

    #[test]
    fn what_cannot_be_told_apart_keeps_the_derive() {
        let (names, code) = rewrite(quote! {
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
            pub struct X { pub a: u64 }
            #[derive(::serde::Deserialize, ::serde::Serialize, Clone, Debug)]
            pub struct Y { pub b: u64 }
            #[derive(::serde::Deserialize, ::serde::Serialize)]
            #[serde(untagged)]
            pub enum TwoObjects { X(X), Y(Y) }
            #[derive(::serde::Deserialize, ::serde::Serialize)]
            #[serde(untagged)]
            pub enum IntegerOrFloat { I(i64), F(f64) }
            #[derive(::serde::Deserialize, ::serde::Serialize)]
            #[serde(untagged)]
            pub enum Unknown { V(::serde_json::Value), S(::std::string::String) }
            #[derive(::serde::Deserialize, ::serde::Serialize)]
            #[serde(untagged)]
            pub enum Nullable { S(::std::option::Option<::std::string::String>), A(::std::vec::Vec<u8>) }
            #[derive(::serde::Deserialize, ::serde::Serialize)]
            #[serde(untagged)]
            pub enum StructVariant { Integer(u64), Object { count: u64 } }
            #[derive(::serde::Deserialize, ::serde::Serialize)]
            #[serde(untagged)]
            pub enum SkippedVariant { S(::std::string::String), #[serde(skip)] A(::std::vec::Vec<u8>) }
            #[derive(::serde::Deserialize, ::serde::Serialize)]
            pub enum Tagged { S(::std::string::String), A(::std::vec::Vec<u8>) }
        });
        assert!(names.is_empty(), "{names:?}");
        assert_eq!(code.matches("::serde::Deserialize,").count(), 9, "{code}");
    }

    #[test]
    fn no_types_module_is_no_change() {
        let mut file: syn::File = syn::parse2(quote! { pub struct S; }).unwrap();
        assert!(dispatch_by_kind(&mut file).unwrap().is_empty());
    }
}
