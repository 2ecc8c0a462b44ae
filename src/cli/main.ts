console.log("herold");
