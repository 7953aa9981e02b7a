//! URLs as logs and errors may show them: with any password hidden.

/// The URL with any password replaced by `***`, for logs and errors.
pub fn mask_url(url: &str) -> String {
    if let Ok(mut parsed) = url::Url::parse(url) {
        if parsed.password().is_some() {
            // set_password fails only for URLs that cannot carry one.
            let _ = parsed.set_password(Some("***"));
        }
        if parsed
            .query_pairs()
            .any(|(k, _)| k.eq_ignore_ascii_case("password"))
        {
            let pairs: Vec<(String, String)> = parsed
                .query_pairs()
                .map(|(k, v)| {
                    let v = if k.eq_ignore_ascii_case("password") {
                        "***".into()
                    } else {
                        v.into_owned()
                    };
                    (k.into_owned(), v)
                })
                .collect();
            parsed.query_pairs_mut().clear().extend_pairs(pairs);
        }
        return parsed.to_string();
    }
    // Unparseable (say, a password with a bare `#`): hide all user info.
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}***{}", &url[..scheme_end + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::mask_url;

    #[test]
    fn passwords_are_masked_wherever_they_hide() {
        assert_eq!(
            mask_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(mask_url("postgres://u@h/db"), "postgres://u@h/db");
        let query = mask_url("postgres://h/db?user=u&password=secret&sslmode=disable");
        assert!(
            !query.contains("secret") && query.contains("sslmode=disable"),
            "{query}"
        );
        let broken = mask_url("postgres://u:p#ss/w@h/db");
        assert!(!broken.contains("p#ss"), "{broken}");
        assert_eq!(mask_url("sqlite://waypost.db"), "sqlite://waypost.db");
    }
}
