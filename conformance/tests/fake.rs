//! The stand-in's documented semantics, each driven through the client.

use std::time::Duration;

use base64::Engine;
use conformance::fake::*;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use usercentrics_pmp::readers::Selection;
use usercentrics_pmp::{Call, Client, Error, UserSession, retry::RetryPolicy, types};
use uuid::Uuid;

fn client(fake: &Fake, key: &str) -> Client {
    Client::builder()
        .api_key(key)
        .base_url(fake.url())
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

fn answer(topic: Uuid, options: &[Uuid]) -> types::PreferenceAnswer {
    types::PreferenceAnswer {
        topic_uuid: topic,
        topic_answer_uuids: options.to_vec(),
    }
}

fn newsletter(answers: Vec<types::PreferenceAnswer>) -> types::SavePreferencesRequest {
    types::SavePreferencesRequest {
        widget_uuid: DEMO_NEWSLETTER_WIDGET,
        language: "en".into(),
        answers,
    }
}

/// A valid first save of the newsletter widget (its required topic answered).
fn first_save() -> types::SavePreferencesRequest {
    newsletter(vec![
        answer(DEMO_TOPICS, &[DEMO_OFFERS]),
        answer(DEMO_FREQUENCY, &[DEMO_WEEKLY]),
    ])
}

fn status(error: &Error) -> u16 {
    error.status().map_or(0, |s| s.as_u16())
}

fn messages(error: &Error) -> Vec<String> {
    error.api_error().map(|e| e.message.clone()).unwrap_or_default()
}

fn payload(token: &str) -> Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

async fn user(fake: &Fake, user_id: &str) -> UserSession {
    client(fake, DEMO_API_KEY).user(DEMO_PAC_UUID, user_id)
}

/// The server-side operations on the demo configuration, each expected to be refused.
async fn refused_server_side_calls(client: &Client) -> Vec<Error> {
    let auth = types::AuthenticateRequest {
        pac_uuid: DEMO_PAC_UUID,
        user_id: "u".into(),
        user_public_name: None,
        user_email: None,
    };
    vec![
        client.authenticate().body(auth).call().await.unwrap_err(),
        client
            .get_preferences()
            .widget_uuid(DEMO_NEWSLETTER_WIDGET)
            .x_user_id("u")
            .call()
            .await
            .unwrap_err(),
        client
            .save_preferences()
            .pac_uuid(DEMO_PAC_UUID)
            .x_user_id("u")
            .body(first_save())
            .call()
            .await
            .unwrap_err(),
        client
            .delete_user_preferences()
            .pac_uuid(DEMO_PAC_UUID)
            .x_user_id("u")
            .call()
            .await
            .unwrap_err(),
    ]
}

#[tokio::test]
async fn server_side_operations_need_a_known_api_key() {
    let fake = Fake::start().await;
    for key in ["wrong-key", " "] {
        let client = Client::builder().api_key(key).base_url(fake.url()).build().unwrap();
        let mut errors = refused_server_side_calls(&client).await;
        errors.push(
            client
                .delete_preference()
                .preference_uuid(Uuid::new_v4())
                .call()
                .await
                .unwrap_err(),
        );
        for error in errors {
            assert!(matches!(error, Error::Unauthorized(_)), "{key:?}: {error:?}");
        }
    }
}

#[tokio::test]
async fn authenticate_issues_an_hs256_jwt_for_the_configuration_and_user() {
    let fake = Fake::start().await;
    let token = user(&fake, "ada@example.com")
        .await
        .public_name("Ada")
        .token()
        .await
        .unwrap();
    let header: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token.expose_secret().split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "HS256");
    let claims = payload(token.expose_secret());
    assert_eq!(claims["pacUuid"], DEMO_PAC_UUID.to_string());
    assert_eq!(claims["userId"], "ada@example.com");
    assert_eq!(claims["userPublicName"], "Ada");
    assert_eq!(
        claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap(),
        8 * 3600
    );
}

#[tokio::test]
async fn bearer_operations_verify_signature_and_expiry() {
    let fake = Fake::start().await;
    let api = client(&fake, DEMO_API_KEY);
    let token = api.user(DEMO_PAC_UUID, "ada@example.com").token().await.unwrap();
    api.with_token(token.expose_secret())
        .get_my_preferences()
        .call()
        .await
        .unwrap();

    // A token whose payload was changed no longer matches its signature.
    let mut parts: Vec<String> = token.expose_secret().split('.').map(str::to_string).collect();
    let mut claims = payload(token.expose_secret());
    claims["userId"] = json!("mallory@example.com");
    parts[1] = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims.to_string());
    let forged = api.with_token(parts.join("."));
    assert_eq!(status(&forged.get_my_preferences().call().await.unwrap_err()), 401);
    assert_eq!(
        status(
            &api.with_token("not-a-jwt")
                .get_widget()
                .widget_uuid(DEMO_NEWSLETTER_WIDGET)
                .call()
                .await
                .unwrap_err()
        ),
        401
    );

    // An expired token is refused.
    fake.set_token_lifetime(Duration::ZERO);
    let short = api.user(DEMO_PAC_UUID, "ada@example.com").token().await.unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let expired = api.with_token(short.expose_secret());
    assert_eq!(
        status(
            &expired
                .save_my_preferences()
                .body(first_save())
                .call()
                .await
                .unwrap_err()
        ),
        401
    );
}

#[tokio::test]
async fn a_session_renews_a_token_the_stand_in_let_expire() {
    let fake = Fake::start().await;
    fake.set_token_lifetime(Duration::from_secs(1));
    let api = Client::builder()
        .api_key(DEMO_API_KEY)
        .base_url(fake.url())
        .token_renewal_margin(Duration::ZERO)
        .build()
        .unwrap();
    let user = api.user(DEMO_PAC_UUID, "ada@example.com");
    let first = user.token().await.unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    user.get_my_preferences().call().await.unwrap();
    assert_ne!(
        user.token().await.unwrap().expose_secret(),
        first.expose_secret(),
        "renewed after expiry"
    );
}

#[tokio::test]
async fn widgets_come_in_the_languages_asked_for() {
    let fake = Fake::start().await;
    let user = user(&fake, "ada@example.com").await;
    let get = |languages: Vec<String>| {
        user.get_widget()
            .widget_uuid(DEMO_NEWSLETTER_WIDGET)
            .language(languages)
            .call()
    };
    let english = get(vec![]).await.unwrap();
    assert_eq!(
        english.title.as_ref().unwrap().to_map().keys().collect::<Vec<_>>(),
        ["en"],
        "English only by default"
    );
    let german = get(vec!["de".into()]).await.unwrap();
    assert_eq!(german.topics[1].title.as_ref().unwrap().get("de"), Some("Häufigkeit"));
    assert_eq!(german.topics[1].title.as_ref().unwrap().get("en"), None);
    let both = get(vec!["en".into(), "de".into()]).await.unwrap();
    assert_eq!(both.topics[0].options[0].title.as_ref().unwrap().to_map().len(), 2);

    assert_eq!((both.double_opt_in, both.hidden), (Some(true), Some(false)));
    assert_eq!(both.topics[0].selection(), Selection::Multiple);
    assert_eq!(
        (both.topics[1].selection(), both.topics[1].required),
        (Selection::Single, Some(true))
    );
    assert_eq!(
        both.topics[1].options.iter().map(|o| o.default).collect::<Vec<_>>(),
        [Some(false), Some(true)]
    );
    let account = user.get_widget().widget_uuid(DEMO_ACCOUNT_WIDGET).call().await.unwrap();
    assert_eq!((account.double_opt_in, account.hidden), (Some(false), Some(true)));
}

#[tokio::test]
async fn one_object_per_user_and_widget_and_upserts_touch_only_the_topics_sent() {
    let fake = Fake::start().await;
    let user = user(&fake, "ada@example.com").await;
    let first = user.save_my_preferences().body(first_save()).call().await.unwrap();
    let second = user
        .save_my_preferences()
        .body(newsletter(vec![answer(DEMO_FREQUENCY, &[DEMO_MONTHLY])]))
        .call()
        .await
        .unwrap();
    assert_eq!(first.uuid, second.uuid, "the same object");
    let mine = user.get_my_preferences().call().await.unwrap();
    assert_eq!(mine.len(), 1);
    let answers: Vec<(Uuid, Vec<Uuid>)> = mine[0]
        .answers
        .iter()
        .map(|a| (a.topic_uuid, a.topic_answer_uuids.clone()))
        .collect();
    assert_eq!(
        answers,
        [(DEMO_TOPICS, vec![DEMO_OFFERS]), (DEMO_FREQUENCY, vec![DEMO_MONTHLY])],
        "topics left out keep their answers"
    );

    // Another user's data is separate, and the server-side view names it.
    let other = self::user(&fake, "grace@example.com").await;
    other.save_my_preferences().body(first_save()).call().await.unwrap();
    let server = client(&fake, DEMO_API_KEY);
    let found = server
        .get_preferences()
        .widget_uuid(DEMO_NEWSLETTER_WIDGET)
        .x_user_id("ada@example.com")
        .language("de")
        .call()
        .await
        .unwrap();
    let [object] = found.objects() else {
        panic!("one object: {found:?}")
    };
    assert_eq!(object.widget_name.as_deref(), Some("Newsletter"));
    assert_eq!(object.answers[0].topic_name.as_deref(), Some("Newsletter-Themen"));
    assert_eq!(object.answers[0].answer_names(), ["Angebote"]);
    assert_eq!(object.answers[1].answer_names(), ["Monatlich"]);
}

#[tokio::test]
async fn double_opt_in_keeps_an_object_pending_until_confirmed() {
    let fake = Fake::start().await;
    let user = user(&fake, "ada@example.com").await;
    assert!(
        user.save_my_preferences()
            .body(first_save())
            .call()
            .await
            .unwrap()
            .pending
    );
    assert!(
        user.save_my_preferences()
            .body(first_save())
            .call()
            .await
            .unwrap()
            .pending,
        "still pending after an update"
    );
    assert!(fake.confirm("ada@example.com", DEMO_NEWSLETTER_WIDGET));
    assert!(!user.get_my_preferences().call().await.unwrap()[0].pending);
    assert!(!fake.confirm("nobody@example.com", DEMO_NEWSLETTER_WIDGET));

    let account = types::SavePreferencesRequest {
        widget_uuid: DEMO_ACCOUNT_WIDGET,
        language: "en".into(),
        answers: vec![],
    };
    assert!(
        !user.save_my_preferences().body(account).call().await.unwrap().pending,
        "no double opt-in on this widget"
    );
}

#[tokio::test]
async fn behalf_decides_the_recorded_author() {
    let fake = Fake::start().await;
    let server = client(&fake, DEMO_API_KEY);
    let save = |behalf: Option<bool>| {
        let call = server
            .save_preferences()
            .pac_uuid(DEMO_PAC_UUID)
            .x_user_id("ada@example.com")
            .x_user_email("ada@mail.example");
        let call = match behalf {
            Some(behalf) => call.behalf(behalf),
            None => call,
        };
        call.body(first_save()).call()
    };
    save(None).await.unwrap();
    save(Some(true)).await.unwrap();
    save(Some(false)).await.unwrap();
    user(&fake, "ada@example.com")
        .await
        .save_my_preferences()
        .body(first_save())
        .call()
        .await
        .unwrap();
    let stored = fake.preference("ada@example.com", DEMO_NEWSLETTER_WIDGET).unwrap();
    let authors: Vec<&str> = stored.history.iter().map(|c| c.author.as_str()).collect();
    assert_eq!(
        authors,
        [
            "owner@demo-shop.example",
            "ada@example.com",
            "owner@demo-shop.example",
            "ada@example.com"
        ]
    );
    assert_eq!(stored.email.as_deref(), Some("ada@mail.example"));
}

#[tokio::test]
async fn deletes_one_object_or_all_of_a_users_objects() {
    let fake = Fake::start().await;
    let server = client(&fake, DEMO_API_KEY);
    let ada = user(&fake, "ada@example.com").await;
    let saved = ada.save_my_preferences().body(first_save()).call().await.unwrap();
    let account = types::SavePreferencesRequest {
        widget_uuid: DEMO_ACCOUNT_WIDGET,
        language: "en".into(),
        answers: vec![],
    };
    ada.save_my_preferences().body(account).call().await.unwrap();
    self::user(&fake, "grace@example.com")
        .await
        .save_my_preferences()
        .body(first_save())
        .call()
        .await
        .unwrap();

    server
        .delete_preference()
        .preference_uuid(saved.uuid)
        .call()
        .await
        .unwrap();
    assert_eq!(ada.get_my_preferences().call().await.unwrap().len(), 1);
    assert_eq!(
        status(
            &server
                .delete_preference()
                .preference_uuid(saved.uuid)
                .call()
                .await
                .unwrap_err()
        ),
        404,
        "gone"
    );

    ada.save_my_preferences().body(first_save()).call().await.unwrap();
    let deleted = server
        .delete_user_preferences()
        .pac_uuid(DEMO_PAC_UUID)
        .x_user_id("ada@example.com")
        .call()
        .await
        .unwrap();
    assert_eq!(deleted.count(), Some(2));
    assert!(ada.get_my_preferences().call().await.unwrap().is_empty());
    assert!(
        fake.preference("grace@example.com", DEMO_NEWSLETTER_WIDGET).is_some(),
        "other users keep theirs"
    );
    let again = server
        .delete_user_preferences()
        .pac_uuid(DEMO_PAC_UUID)
        .x_user_id("ada@example.com")
        .call()
        .await
        .unwrap();
    assert_eq!(again.count(), Some(0));
}

#[tokio::test]
async fn invalid_saves_get_nest_shaped_refusals() {
    let fake = Fake::start().await;
    let user = user(&fake, "ada@example.com").await;
    let refused = |body: types::SavePreferencesRequest| {
        let user = user.clone();
        async move { user.save_my_preferences().body(body).call().await.unwrap_err() }
    };

    let unknown_widget = types::SavePreferencesRequest {
        widget_uuid: Uuid::new_v4(),
        ..first_save()
    };
    assert_eq!(status(&refused(unknown_widget).await), 404);
    let other_tenant = types::SavePreferencesRequest {
        widget_uuid: OTHER_WIDGET,
        ..first_save()
    };
    assert_eq!(
        status(&refused(other_tenant).await),
        404,
        "a widget of another configuration is not there for this token"
    );

    let unknown_topic = Uuid::new_v4();
    let error = refused(newsletter(vec![
        answer(unknown_topic, &[]),
        answer(DEMO_FREQUENCY, &[DEMO_WEEKLY]),
    ]))
    .await;
    assert_eq!(
        (status(&error), messages(&error)),
        (
            400,
            vec![format!(
                "topic {unknown_topic} does not belong to widget {DEMO_NEWSLETTER_WIDGET}"
            )]
        )
    );
    let error = refused(newsletter(vec![answer(DEMO_FREQUENCY, &[DEMO_OFFERS])])).await;
    assert_eq!(
        messages(&error),
        [format!(
            "option {DEMO_OFFERS} does not belong to topic {DEMO_FREQUENCY}"
        )]
    );
    let error = refused(newsletter(vec![answer(DEMO_FREQUENCY, &[DEMO_WEEKLY, DEMO_MONTHLY])])).await;
    assert_eq!(
        messages(&error),
        [format!("topic {DEMO_FREQUENCY} allows a single answer, got 2")]
    );
    let error = refused(newsletter(vec![answer(DEMO_TOPICS, &[DEMO_OFFERS])])).await;
    assert_eq!(
        messages(&error),
        [format!("topic {DEMO_FREQUENCY} is required")],
        "a required topic missing on first save"
    );
    assert!(matches!(error, Error::BadRequest(_)));

    // Once saved, a later upsert may leave the required topic out.
    user.save_my_preferences().body(first_save()).call().await.unwrap();
    user.save_my_preferences()
        .body(newsletter(vec![answer(DEMO_TOPICS, &[])]))
        .call()
        .await
        .unwrap();
}

#[tokio::test]
async fn malformed_uuids_are_bad_requests() {
    let fake = Fake::start().await;
    let http = reqwest::Client::new();
    let token = user(&fake, "ada@example.com").await.token().await.unwrap();
    let bearer = format!("Bearer {}", token.expose_secret());
    for (method, path, credential) in [
        ("GET", "/widgets/not-a-uuid", ("authorization", bearer.as_str())),
        (
            "GET",
            "/preferences/my?widgetUuid=123",
            ("authorization", bearer.as_str()),
        ),
        ("GET", "/preferences?widgetUuid=zzz", ("x-api-key", DEMO_API_KEY)),
        ("DELETE", "/preferences/1234", ("x-api-key", DEMO_API_KEY)),
        ("DELETE", "/preferences?pacUuid=f0e1bc09", ("x-api-key", DEMO_API_KEY)),
    ] {
        let request = http
            .request(method.parse().unwrap(), format!("{}{path}", fake.url()))
            .header(credential.0, credential.1)
            .header("x-user-id", "u");
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 400, "{method} {path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "Bad Request", "{method} {path}: {body}");
        assert!(
            body["message"]
                .as_array()
                .is_some_and(|m| m[0].as_str().unwrap().ends_with("must be a UUID")),
            "{body}"
        );
    }
    let response = http
        .post(format!("{}/authenticate", fake.url()))
        .header("x-api-key", DEMO_API_KEY)
        .json(&json!({"pacUuid": "nope", "userId": "u"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_key_without_access_to_the_configuration_is_forbidden() {
    let fake = Fake::start().await;
    let other = client(&fake, OTHER_TENANT_API_KEY);
    let errors = refused_server_side_calls(&other).await;
    for error in errors {
        assert!(matches!(&error, Error::Forbidden(_)), "{error:?}");
        assert_eq!(messages(&error), ["Forbidden resource"]);
    }
    let saved = user(&fake, "ada@example.com")
        .await
        .save_my_preferences()
        .body(first_save())
        .call()
        .await
        .unwrap();
    assert_eq!(
        status(
            &other
                .delete_preference()
                .preference_uuid(saved.uuid)
                .call()
                .await
                .unwrap_err()
        ),
        403
    );
    let auth = types::AuthenticateRequest {
        pac_uuid: Uuid::new_v4(),
        user_id: "u".into(),
        user_public_name: None,
        user_email: None,
    };
    assert_eq!(
        status(&other.authenticate().body(auth).call().await.unwrap_err()),
        404,
        "an unknown configuration"
    );
}

#[tokio::test]
async fn seeding_adds_data_for_a_users_own_tests() {
    let fake = Fake::start().await;
    let widget = Uuid::new_v4();
    let pac = Uuid::new_v4();
    let fixture = Fixture::from_json(
        &json!({
            "apiKeys": [{"key": "my-key", "owner": "me@example.com", "configurations": [pac]}],
            "configurations": [{"uuid": pac, "title": "Mine", "widgets": [{"uuid": widget, "title": {"en": "Mine"}, "topics": []}]}]
        })
        .to_string(),
    )
    .unwrap();
    fake.seed(fixture);
    let mine = client(&fake, "my-key").user(pac, "u");
    assert_eq!(mine.get_widget().widget_uuid(widget).call().await.unwrap().uuid, widget);
}

/// The documented examples of the conformance cases (their success cases,
/// with the docs' placeholder ids) work against the stand-in too, seeded
/// with those ids (`fixtures/documented-ids.json`).
#[tokio::test]
async fn the_documented_examples_pass_against_the_stand_in() {
    let options = FakeOptions {
        fixture: Fixture::from_json(include_str!("../fixtures/documented-ids.json")).unwrap(),
        ..FakeOptions::default()
    };
    let fake = Fake::start_with(options).await.unwrap();
    let api = client(&fake, "conformance-api-key");
    let user = api.user(
        "1234abcd-22bb-33cc-44dd-12345678abcd".parse().unwrap(),
        "user@company.com",
    );
    // In an order that leaves something for each call: saves and reads first, deletions last.
    let order = [
        "authenticate",
        "save_my_preferences",
        "get_my_preferences",
        "get_widget",
        "save_preferences",
        "get_preferences",
        "delete_preference",
        "delete_user_preferences",
    ];
    let mut tried = Vec::new();
    for operation in order {
        let cases = conformance::case::all();
        let (name, file) = cases
            .iter()
            .find(|(name, _)| name.starts_with(&format!("{operation}/2")))
            .unwrap_or_else(|| panic!("no success case for {operation}"));
        let conformance::case::Case::Single(case) = conformance::case::load(file).unwrap() else {
            panic!("{name} is a flow")
        };
        let on: &Client = if user_operation(operation) { &user } else { &api };
        let result = conformance::call::call(on, &case.call).await.unwrap();
        assert!(result.is_ok(), "{name} against the stand-in: {}", result.unwrap_err());
        tried.push(name.clone());
    }
    assert_eq!(tried.len(), 8, "every operation's documented example ran");
}

fn user_operation(operation: &str) -> bool {
    usercentrics_pmp::operations::find(operation)
        .is_some_and(|o| o.credential == usercentrics_pmp::operations::Credential::Bearer)
}
