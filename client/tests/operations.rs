//! Each of the eight documented operations, called through the crate with the
//! documented parameters, sends exactly the documented request and decodes the
//! documented answer.

use serde_json::{Value, json};
use usercentrics_pmp::{Call, Client, RawError, retry::RetryPolicy, types};
use uuid::Uuid;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

const API_KEY: &str = "7b931a0xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxa0d1";
const TOKEN: &str = "eyJhbGciOiJIUz.......H5AC9Ru41TKgM";
const ID: &str = "1234abcd-22bb-33cc-44dd-12345678abcd";

fn id() -> Uuid {
    ID.parse().unwrap()
}

/// A server that answers every request with `status` and `body`.
async fn server(status: u16, body: Value) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(status).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> Client {
    Client::builder()
        .api_key(API_KEY)
        .bearer_token(TOKEN)
        .base_url(format!("{}/public", server.uri()))
        .retry(RetryPolicy::none())
        .build()
        .unwrap()
}

const UA: [&str; 2] = [
    "user-agent",
    concat!("usercentrics-pmp-rust/", env!("CARGO_PKG_VERSION")),
];

/// The one request the server received, with the headers that matter.
async fn request(server: &MockServer) -> Value {
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1, "exactly one request");
    let request = &requests[0];
    let mut headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap().to_string()))
        .filter(|(k, _)| !["host", "content-length"].contains(&k.as_str()))
        .collect();
    headers.sort();
    let body: Value = if request.body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&request.body).unwrap()
    };
    json!({
        "method": request.method.as_str(),
        "path": request.url.path(),
        "query": request.url.query(),
        "headers": headers,
        "body": body,
    })
}

fn save_body() -> types::SavePreferencesRequest {
    types::SavePreferencesRequest {
        widget_uuid: id(),
        language: "en".into(),
        answers: vec![types::PreferenceAnswer {
            topic_uuid: id(),
            topic_answer_uuids: vec![id(), id()],
        }],
    }
}

fn save_body_json() -> Value {
    json!({"widgetUuid": ID, "language": "en", "answers": [{"topicUuid": ID, "topicAnswerUuids": [ID, ID]}]})
}

fn user_preference_json() -> Value {
    json!({"uuid": ID, "widgetId": ID, "pending": false,
           "answers": [{"topicUuid": ID, "topicAnswerUuids": [ID, ID]}],
           "createdAt": "2024-01-01T00:00:00", "updatedAt": "2024-01-01T00:00:00", "expiresAt": "2024-01-01T00:00:00"})
}

#[tokio::test]
async fn e1_authenticate() {
    let server = server(201, json!({"token": "eyJhbG...erJY"})).await;
    let body = types::AuthenticateRequest {
        pac_uuid: id(),
        user_id: "user@company.com".into(),
        user_public_name: Some("Test User".into()),
        user_email: Some("user@email.com".into()),
    };
    let response = client(&server).authenticate().body(body).call().await.unwrap();
    assert_eq!(secrecy::ExposeSecret::expose_secret(&response.token), "eyJhbG...erJY");
    assert_eq!(
        request(&server).await,
        json!({
            "method": "POST", "path": "/public/authenticate", "query": null,
            "headers": [["accept", "application/json"], ["content-type", "application/json"], UA, ["x-api-key", API_KEY]],
            "body": {"pacUuid": ID, "userId": "user@company.com", "userPublicName": "Test User", "userEmail": "user@email.com"},
        })
    );
}

#[tokio::test]
async fn e1_authenticate_accepts_200_too() {
    let server = server(200, json!({"token": "t"})).await;
    let body = types::AuthenticateRequest {
        pac_uuid: id(),
        user_id: "u".into(),
        user_public_name: None,
        user_email: None,
    };
    let response = client(&server).authenticate().body(body).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        request(&server).await["body"],
        json!({"pacUuid": ID, "userId": "u"}),
        "optional fields are left out"
    );
}

#[tokio::test]
async fn e2_get_my_preferences() {
    let server = server(200, json!([user_preference_json()])).await;
    let preferences = client(&server)
        .get_my_preferences()
        .widget_uuid(id())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(preferences.len(), 1);
    assert_eq!(preferences[0].widget_id, Some(id()));
    assert_eq!(preferences[0].expires_at.as_deref(), Some("2024-01-01T00:00:00"));
    assert_eq!(
        request(&server).await,
        json!({
            "method": "GET", "path": "/public/preferences/my", "query": format!("widgetUuid={ID}"),
            "headers": [["accept", "application/json"], ["authorization", format!("Bearer {TOKEN}")], UA],
            "body": null,
        })
    );
}

#[tokio::test]
async fn e2_get_my_preferences_of_every_widget() {
    let server = server(200, json!([])).await;
    let preferences = client(&server).get_my_preferences().call().await.unwrap();
    assert!(preferences.is_empty());
    assert_eq!(
        request(&server).await["query"],
        Value::Null,
        "no widgetUuid means every widget"
    );
}

#[tokio::test]
async fn e3_save_my_preferences() {
    let server = server(201, user_preference_json()).await;
    let saved = client(&server)
        .save_my_preferences()
        .body(save_body())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(saved.uuid, id());
    assert_eq!(
        request(&server).await,
        json!({
            "method": "POST", "path": "/public/preferences/my", "query": null,
            "headers": [["accept", "application/json"], ["authorization", format!("Bearer {TOKEN}")], ["content-type", "application/json"], UA],
            "body": save_body_json(),
        })
    );
}

#[tokio::test]
async fn e4_get_widget() {
    let widget = json!({
        "uuid": ID, "doubleOptIn": true, "hidden": false,
        "title": {"en": "Newsletter", "de": "Newsletter"}, "description": {"en": "News"}, "additionalNote": {"en": "Note"},
        "topics": [{"uuid": ID, "required": true, "selectType": "checkbox", "order": 1, "title": {"en": "Topics"},
                    "options": [{"uuid": ID, "order": 1, "default": false, "title": {"en": "Product"}}]}]
    });
    let server = server(200, widget).await;
    let widget = client(&server)
        .get_widget()
        .widget_uuid(id())
        .language(vec!["en".to_string(), "de".to_string()])
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(widget.double_opt_in, Some(true));
    assert_eq!(widget.topics[0].select_type.as_deref(), Some("checkbox"));
    assert_eq!(
        widget.title.as_ref().map(|t| t["de"].clone()),
        Some(json!("Newsletter"))
    );
    assert_eq!(
        request(&server).await,
        json!({
            "method": "GET", "path": format!("/public/widgets/{ID}"), "query": "language=en&language=de",
            "headers": [["accept", "application/json"], ["authorization", format!("Bearer {TOKEN}")], UA],
            "body": null,
        })
    );
}

#[tokio::test]
async fn e5_get_preferences() {
    let server = server(
        200,
        json!([{
            "widgetName": "Kommunikationspräferenzen", "widgetUuid": ID,
            "answers": [{"topicName": "Newsletter-Themen", "topicUuid": ID, "answerName": "Produkt-News"}]
        }]),
    )
    .await;
    let answer = client(&server)
        .get_preferences()
        .widget_uuid(id())
        .language("de")
        .x_user_id("user@company.com")
        .send()
        .await
        .unwrap()
        .into_inner();
    let types::ServerPreferences::Array(objects) = answer else {
        panic!("the documented example is an array")
    };
    assert_eq!(objects[0].widget_name.as_deref(), Some("Kommunikationspräferenzen"));
    assert_eq!(
        request(&server).await,
        json!({
            "method": "GET", "path": "/public/preferences", "query": format!("language=de&widgetUuid={ID}"),
            "headers": [["accept", "application/json"], UA, ["x-api-key", API_KEY], ["x-user-id", "user@company.com"]],
            "body": null,
        })
    );
}

#[tokio::test]
async fn e5_get_preferences_accepts_one_object() {
    let server = server(200, json!({"widgetUuid": ID, "answers": []})).await;
    let answer = client(&server)
        .get_preferences()
        .widget_uuid(id())
        .x_user_id("u")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert!(matches!(answer, types::ServerPreferences::ServerPreference(_)));
}

#[tokio::test]
async fn e6_save_preferences() {
    let server = server(201, user_preference_json()).await;
    client(&server)
        .save_preferences()
        .pac_uuid(id())
        .behalf(true)
        .x_user_id("user@company.com")
        .x_user_email("user@email.com")
        .body(save_body())
        .call()
        .await
        .unwrap();
    assert_eq!(
        request(&server).await,
        json!({
            "method": "POST", "path": "/public/preferences", "query": format!("behalf=true&pacUuid={ID}"),
            "headers": [["accept", "application/json"], ["content-type", "application/json"], UA, ["x-api-key", API_KEY],
                        ["x-user-email", "user@email.com"], ["x-user-id", "user@company.com"]],
            "body": save_body_json(),
        })
    );
}

#[tokio::test]
async fn e7_delete_preference() {
    let server = server(200, json!({})).await;
    client(&server)
        .delete_preference()
        .preference_uuid(id())
        .call()
        .await
        .unwrap();
    assert_eq!(
        request(&server).await,
        json!({
            "method": "DELETE", "path": format!("/public/preferences/{ID}"), "query": null,
            "headers": [["accept", "application/json"], UA, ["x-api-key", API_KEY]],
            "body": null,
        })
    );
}

#[tokio::test]
async fn e8_delete_user_preferences() {
    for (body, expected) in [
        (json!(3), types::DeletedCount::Integer(3)),
        (
            json!({"raw": [], "affected": 2}),
            types::DeletedCount::Object {
                affected: Some(2),
                count: None,
                deleted: None,
            },
        ),
    ] {
        let server = server(200, body).await;
        let deleted = client(&server)
            .delete_user_preferences()
            .pac_uuid(id())
            .x_user_id("user@company.com")
            .send()
            .await
            .unwrap();
        assert_eq!(deleted.into_inner(), expected);
        assert_eq!(
            request(&server).await,
            json!({
                "method": "DELETE", "path": "/public/preferences", "query": format!("pacUuid={ID}"),
                "headers": [["accept", "application/json"], UA, ["x-api-key", API_KEY], ["x-user-id", "user@company.com"]],
                "body": null,
            })
        );
    }
}

#[tokio::test]
async fn send_keeps_progenitors_raw_result() {
    let server = server(
        400,
        json!({"statusCode": 400, "message": ["widgetUuid must be a UUID"], "error": "Bad Request"}),
    )
    .await;
    let error = client(&server).get_my_preferences().send().await.unwrap_err();
    let RawError::ErrorResponse(body) = error else {
        panic!("expected the documented error, got {error:?}")
    };
    assert_eq!(body.status(), 400);
    assert_eq!(
        body.message,
        types::ErrorResponseMessage::Array(vec!["widgetUuid must be a UUID".into()])
    );
}
