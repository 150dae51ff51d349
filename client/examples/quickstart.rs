//! The whole flow in one run: `cargo run --example quickstart`.
//!
//! Without `PMP_API_KEY` it starts the local stand-in and runs every
//! operation against it. With `PMP_API_KEY`, `PMP_PAC_UUID` and
//! `PMP_WIDGET_UUID` (and optionally `PMP_TEST_USER_ID`, `PMP_BASE_URL`) it
//! runs the read-only steps against the real API, or that base URL.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use conformance::fake::{self, Fake};
use usercentrics_pmp::readers::Selection;
use usercentrics_pmp::{Call, Client, UserSession, types};
use uuid::Uuid;

type Failure = Box<dyn std::error::Error>;

#[tokio::main]
async fn main() -> ExitCode {
    let outcome = match std::env::var("PMP_API_KEY").ok().filter(|k| !k.trim().is_empty()) {
        None => against_the_stand_in().await,
        Some(_) => against_the_api().await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn step(number: u32, call: &str, what: &str) {
    println!("\n{number}. {call}\n   {what}");
}

fn show(line: impl AsRef<str>) {
    println!("   → {}", line.as_ref());
}

async fn against_the_stand_in() -> Result<(), Failure> {
    let fake = Fake::start().await;
    println!(
        "PMP_API_KEY is not set: running against the local stand-in at {}",
        fake.url()
    );
    println!("(demo configuration \"Demo Shop\", English and German; set PMP_API_KEY to use the real API)");
    let client = Client::builder().api_key(fake.api_key()).base_url(fake.url()).build()?;
    let user_id = "ada@example.com";
    let user = client.user(fake::DEMO_PAC_UUID, user_id).public_name("Ada Lovelace");
    let widget_uuid = fake::DEMO_NEWSLETTER_WIDGET;

    authenticate(1, &user, user_id).await?;
    let widget = widget_structure(2, &user, widget_uuid).await?;

    step(
        3,
        "POST /preferences/my",
        "save the user's choices: two newsletter topics, monthly",
    );
    let topics = widget
        .topics
        .iter()
        .find(|t| t.selection() == Selection::Multiple)
        .ok_or("no multi-select topic")?;
    let frequency = widget
        .topics
        .iter()
        .find(|t| t.selection() == Selection::Single)
        .ok_or("no single-select topic")?;
    let pick = |topic: &types::WidgetTopic, titles: &[&str]| types::PreferenceAnswer {
        topic_uuid: topic.uuid,
        topic_answer_uuids: topic
            .options
            .iter()
            .filter(|o| {
                o.title
                    .as_ref()
                    .and_then(|t| t.get("en"))
                    .is_some_and(|t| titles.contains(&t))
            })
            .map(|o| o.uuid)
            .collect(),
    };
    let body = types::SavePreferencesRequest {
        widget_uuid,
        language: "en".into(),
        answers: vec![pick(topics, &["Product news", "Events"]), pick(frequency, &["Monthly"])],
    };
    let saved = user.save_my_preferences().body(body).call().await?;
    show(format!(
        "saved object {} with {} topics, pending: {} (the widget has double opt-in)",
        saved.uuid,
        saved.answers.len(),
        saved.pending
    ));

    my_preferences(4, &user, widget_uuid).await?;
    server_view(5, &client, widget_uuid, user_id).await?;

    step(
        6,
        "POST /preferences?behalf=true",
        "server side: also subscribe the user to security alerts, on the user's behalf",
    );
    let alerts = user.get_widget().widget_uuid(fake::DEMO_ACCOUNT_WIDGET).call().await?;
    let channels = alerts.topics.first().ok_or("the account widget has no topic")?;
    let answers = vec![pick(channels, &["Security alerts"])];
    let account = types::SavePreferencesRequest {
        widget_uuid: fake::DEMO_ACCOUNT_WIDGET,
        language: "en".into(),
        answers,
    };
    let second = client
        .save_preferences()
        .pac_uuid(fake::DEMO_PAC_UUID)
        .x_user_id(user_id)
        .behalf(true)
        .body(account)
        .call()
        .await?;
    show(format!(
        "saved object {} for the account widget, pending: {}",
        second.uuid, second.pending
    ));

    step(
        7,
        "DELETE /preferences/{preferenceUuid}",
        "delete the newsletter object",
    );
    client.delete_preference().preference_uuid(saved.uuid).call().await?;
    show(format!("deleted {}", saved.uuid));

    step(
        8,
        "DELETE /preferences",
        "a data-subject request: delete everything of the user in the configuration",
    );
    let deleted = client
        .delete_user_preferences()
        .pac_uuid(fake::DEMO_PAC_UUID)
        .x_user_id(user_id)
        .call()
        .await?;
    show(format!(
        "{} record(s) deleted",
        deleted.count().map_or("an unknown number of".into(), |n| n.to_string())
    ));
    let left = user.get_my_preferences().call().await?;
    show(format!("the user view now holds {} objects", left.len()));

    println!(
        "\nAll eight operations answered as documented. Next: point PMP_API_KEY, PMP_PAC_UUID and PMP_WIDGET_UUID at your account."
    );
    Ok(())
}

async fn against_the_api() -> Result<(), Failure> {
    let setting = |name: &str| -> Result<String, Failure> {
        std::env::var(name)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| {
                format!("{name} is not set: with PMP_API_KEY, set PMP_PAC_UUID and PMP_WIDGET_UUID too").into()
            })
    };
    let uuid = |name: &str| -> Result<Uuid, Failure> {
        let value = setting(name)?;
        value
            .trim()
            .parse()
            .map_err(|_| format!("{name} is not a UUID: `{value}`").into())
    };
    let (pac_uuid, widget_uuid) = (uuid("PMP_PAC_UUID")?, uuid("PMP_WIDGET_UUID")?);
    let user_id = std::env::var("PMP_TEST_USER_ID")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "pmp-rust-quickstart@example.com".into());
    let client = Client::from_env()?;
    println!(
        "Running the read-only steps against {} for test user {user_id}",
        client_base(&client)
    );
    let user = client.user(pac_uuid, &user_id);
    authenticate(1, &user, &user_id).await?;
    widget_structure(2, &user, widget_uuid).await?;
    my_preferences(3, &user, widget_uuid).await?;
    server_view(4, &client, widget_uuid, &user_id).await?;
    println!("\nDone: nothing was written.");
    Ok(())
}

fn client_base(client: &Client) -> &str {
    usercentrics_pmp::ClientInfo::baseurl(client)
}

async fn authenticate(number: u32, user: &UserSession, user_id: &str) -> Result<(), Failure> {
    step(
        number,
        "POST /authenticate",
        &format!("a token for {user_id} (the session fetches it and renews it itself)"),
    );
    let token = user.token().await?;
    let is_jwt = secrecy::ExposeSecret::expose_secret(&token).split('.').count() == 3;
    show(format!(
        "token received{} (not printed: it is a secret)",
        if is_jwt { ", a JWT" } else { "" }
    ));
    Ok(())
}

async fn widget_structure(number: u32, user: &UserSession, widget_uuid: Uuid) -> Result<types::Widget, Failure> {
    step(
        number,
        "GET /widgets/{widgetUuid}?language=en&language=de",
        "the widget's structure in English and German",
    );
    let widget = user
        .get_widget()
        .widget_uuid(widget_uuid)
        .language(vec!["en".into(), "de".into()])
        .call()
        .await?;
    let text = |t: &Option<types::Translations>, l: &str| t.as_ref().and_then(|t| t.get(l)).unwrap_or("-").to_string();
    show(format!(
        "\"{}\" / \"{}\": double opt-in {}, hidden {}",
        text(&widget.title, "en"),
        text(&widget.title, "de"),
        widget.double_opt_in.unwrap_or(false),
        widget.hidden.unwrap_or(false)
    ));
    for topic in &widget.topics {
        let options: Vec<String> = topic
            .options
            .iter()
            .map(|o| format!("{} / {}", text(&o.title, "en"), text(&o.title, "de")))
            .collect();
        show(format!(
            "topic \"{}\" ({:?} choice{}): {}",
            text(&topic.title, "en"),
            topic.selection(),
            if topic.required == Some(true) { ", required" } else { "" },
            options.join(", ")
        ));
    }
    Ok(widget)
}

async fn my_preferences(number: u32, user: &UserSession, widget_uuid: Uuid) -> Result<(), Failure> {
    step(
        number,
        "GET /preferences/my?widgetUuid=…",
        "read them back through the user's own view",
    );
    let mine = user.get_my_preferences().widget_uuid(widget_uuid).call().await?;
    if mine.is_empty() {
        show("no preferences saved for this widget yet");
    }
    for object in &mine {
        let picked: usize = object.answers.iter().map(|a| a.topic_answer_uuids.len()).sum();
        show(format!(
            "object {}: {} topics, {picked} options selected, pending {}",
            object.uuid,
            object.answers.len(),
            object.pending
        ));
    }
    Ok(())
}

async fn server_view(number: u32, client: &Client, widget_uuid: Uuid, user_id: &str) -> Result<(), Failure> {
    step(
        number,
        "GET /preferences?widgetUuid=…&language=de (X-API-KEY, x-user-id)",
        "the server-side view, names in German",
    );
    let found = client
        .get_preferences()
        .widget_uuid(widget_uuid)
        .x_user_id(user_id)
        .language("de")
        .call()
        .await?;
    if found.objects().is_empty() {
        show("no preferences saved for this widget yet");
    }
    for object in found.objects() {
        show(format!("\"{}\":", object.widget_name.as_deref().unwrap_or("-")));
        for answer in &object.answers {
            show(format!(
                "  {}: {}",
                answer.topic_name.as_deref().unwrap_or("-"),
                answer.answer_names().join(", ")
            ));
        }
    }
    Ok(())
}
